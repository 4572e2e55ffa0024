/**
 * Texts of the H5 preview's simulator panel (src/dev/). A module of its own: only the
 * H5 build loads it, so none of it reaches the mini-program.
 */
export const devZhCN = {
  toggle: '模拟微信',
  title: '微信模拟器',
  subtitle: '仅在 H5 预览中提供，小程序里没有这个面板',
  simUser: '模拟用户',
  loginStatus: '登录状态',
  statusLoading: '登录中',
  statusReady: '已登录',
  statusError: '登录失败',
  statusLoggedOut: '未登录',
  switchSection: '切换用户',
  userPlaceholder: '输入用户名，如 alice',
  switchUser: '切换',
  randomUser: '随机新用户',
  switched: (user: string) => `已切换为 ${user}`,
  userInvalid: '用户名不能为空，最多 64 个字符',
  sessionSection: '微信会话',
  sessionHint: '让微信端的会话过期后，下次启动时 checkSession 失败，应用会重新登录。',
  expireSession: '让微信会话过期',
  expired: '微信会话已过期，重新启动即可看到重新登录',
  relaunch: '重新启动',
  phoneSection: '手机号',
  phoneHint:
    '「绑定手机号」按钮会向模拟器获取手机号凭证。可指定号码（5–15 位数字），留空则由模拟器生成。',
  phonePlaceholder: '模拟手机号（可选）',
  phoneInvalid: '手机号需为 5–15 位数字',
  phoneSaved: '已保存模拟手机号',
  privacySection: '隐私授权',
  privacyHint:
    '头像、昵称和手机号在用户同意隐私保护指引后才能使用。同意记录按模拟用户和 AppID 保存在本浏览器。',
  privacyAgreed: '已同意',
  privacyNotAgreed: '未同意',
  resetPrivacy: '重置隐私授权',
  privacyReset: '已重置隐私授权，下次设置头像、昵称或手机号时会再次询问',
  privacyContractName: '《小程序起步用户隐私保护指引（模拟）》',
  privacyContractStandIn:
    'H5 预览中没有微信的隐私保护指引页面。在小程序中，这里打开在微信公众平台「用户隐私保护指引」中填写的内容。',
  contentSection: '内容安全',
  contentHint:
    '模拟器按这些词判定昵称：含违规词的被拒绝（CONTENT_RISKY），含待审核词的保存并记录待人工审核。多个词用逗号分隔。',
  riskyPlaceholder: '违规词，如 赌博,诈骗',
  reviewPlaceholder: '待审核词，如 代购',
  saveContentRules: '保存规则',
  contentRulesSaved: '已保存内容安全规则',
  simFailed: '模拟器没有响应，请确认它已启动',
  simAddress: '模拟器',
  appid: 'AppID',
  close: '关闭',
} as const
