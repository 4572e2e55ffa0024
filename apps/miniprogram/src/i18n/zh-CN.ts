import type { Reason } from '@wxapp/session/client'

/** Simplified Chinese texts of the interface (the app's default and only language so far). */
export const zhCN = {
  app: {
    name: '小程序起步',
  },
  tabs: {
    home: '首页',
    profile: '我的',
    sessions: '设备',
  },
  common: {
    defaultNickname: '微信用户',
    retry: '重试',
    login: '登录',
    loggingIn: '登录中…',
    loading: '加载中…',
    cancel: '取消',
    confirm: '确定',
    saved: '已保存',
    loggedOutTitle: '你已退出登录',
    loggedOutHint: '登录后即可查看资料和登录设备。',
    loginFailedTitle: '登录失败',
    loadFailedTitle: '加载失败',
  },
  home: {
    navigationTitle: '首页',
    greeting: '你好，',
    welcome: '欢迎回来',
    tagline: '基于 Taro、React 与 tRPC 的小程序起步模板',
    loggedInBadge: '已登录',
    memberSince: (date: string) => `${date} 加入`,
    phoneBound: (phone: string) => `已绑定手机 ${phone}`,
    phoneUnbound: '未绑定手机号',
    editProfile: '编辑资料',
    editProfileHint: '设置头像和昵称',
    devices: '登录设备',
    devicesHint: '查看并管理已登录的设备',
    loggingInHint: '正在通过微信安全登录',
  },
  profile: {
    navigationTitle: '我的资料',
    avatar: '头像',
    changeAvatar: '点击更换头像',
    // Platforms without WeChat's avatar button (QQ, Douyin, Alipay): an album or camera image.
    avatarFromAlbum: '本平台不提供微信头像选择，请从相册或相机选择图片',
    uploading: '正在上传…',
    avatarUpdated: '头像已更新',
    nickname: '昵称',
    nicknamePlaceholder: '请输入昵称',
    save: '保存',
    saving: '保存中…',
    phone: '手机号',
    phoneUnbound: '未绑定',
    bindPhone: '绑定手机号',
    binding: '绑定中…',
    phoneBound: '手机号已绑定',
    phoneCancelled: '你已取消授权手机号',
    // QQ, Douyin, Alipay: their phone number flows are not wired to the server.
    phoneUnavailable: '当前平台暂不支持绑定手机号，请在微信小程序中绑定',
    deleteAccount: '注销账号',
    deleteAccountHint: '删除你的账号和全部资料',
    deletingAccount: '注销中…',
    deleteAccountConfirmTitle: '注销账号？',
    deleteAccountConfirm:
      '注销后，你的账号、所有设备上的登录、绑定的手机号和头像都将被删除，且无法恢复。',
    // WeChat allows at most 4 Chinese characters on a modal's buttons.
    deleteAccountConfirmButton: '确认注销',
    accountDeleted: '账号已注销',
  },
  /** The consent sheet WeChat's privacy authorization asks for (components/PrivacySheet). */
  privacy: {
    title: '用户隐私保护提示',
    intro: '设置头像、昵称或绑定手机号前，请阅读并同意',
    /** When WeChat does not name the guide. */
    contractFallback: '《用户隐私保护指引》',
    outro: '。我们只将这些信息用于你的个人资料。不同意不影响使用其他功能。',
    agree: '同意',
    disagree: '不同意',
    declined: '未同意隐私保护指引，本次操作未进行',
    contractFailed: '暂时无法打开隐私保护指引，请稍后再试',
  },
  sessions: {
    navigationTitle: '登录设备',
    intro: '以下设备正在使用你的账号。不认识的设备，可以让它退出登录。',
    thisDevice: '本机',
    createdAt: '登录时间',
    lastUsedAt: '最近使用',
    ip: 'IP 地址',
    unknownDevice: '未知设备',
    revoke: '退出此设备',
    revoked: '已退出该设备',
    logout: '退出登录',
    loggedOut: '已退出登录',
    logoutAll: '退出所有设备',
    logoutAllConfirmTitle: '退出所有设备？',
    logoutAllConfirm: '所有设备（包括本机）都将退出登录。',
    logoutAllConfirmButton: '全部退出',
    loggedOutAll: (count: number) => `已退出 ${count} 台设备`,
    empty: '暂无登录设备',
  },
  platforms: {
    weapp: '微信小程序',
    h5: '网页预览',
  } as Record<string, string>,
  time: {
    justNow: '刚刚',
    minutesAgo: (n: number) => `${n} 分钟前`,
    hoursAgo: (n: number) => `${n} 小时前`,
  },
  /**
   * What the user reads for each machine reason (the table in @wxapp/session/shared),
   * each saying what to do. Typed against the table: a reason without a text, or a
   * text for no reason, fails the type-check.
   */
  errors: {
    // Sessions (after the one automatic re-login also failed)
    AUTH_REQUIRED: '请先登录后再试',
    TOKEN_INVALID: '登录已失效，请重新登录',
    SESSION_EXPIRED: '登录已过期，请重新登录',
    SESSION_REVOKED: '你已在其他设备上退出登录，请重新登录',
    // Login (auth.login and the session client)
    WECHAT_CODE_INVALID: '登录凭证已失效，请重新登录',
    WECHAT_CODE_USED: '登录凭证已被使用，请重新登录',
    WECHAT_USER_BLOCKED: '微信暂时限制了该账号登录，请在微信中查看账号状态',
    WECHAT_RATE_LIMITED: '登录太频繁了，请一分钟后再试',
    WECHAT_BUSY: '微信服务繁忙，请稍后重试',
    WECHAT_UNAVAILABLE: '暂时连不上微信服务，请稍后重试',
    WECHAT_CREDENTIALS_INVALID: '服务器的小程序配置有误，请联系客服',
    APP_UNKNOWN: '服务器未配置该小程序，请联系客服',
    LOGIN_RATE_LIMITED: '登录尝试过多，请一分钟后再试',
    LOGIN_CODE_REQUIRED: '登录失败，请重新打开小程序后再试',
    LOGIN_IDENTITY_MISMATCH: '登录信息与当前微信账号不符，请重新打开小程序后再试',
    WECHAT_LOGIN_FAILED: '微信登录失败，请重试',
    NETWORK_ERROR: '网络连接失败，请检查网络后重试',
    LOGIN_FAILED: '登录失败，请稍后重试；若一直失败，请联系客服',
    // Phone number
    PHONE_CODE_INVALID: '手机号授权已失效，请再点一次“绑定手机号”',
    PHONE_CODE_MISMATCH: '该手机号授权不属于当前微信账号，请用本人微信重新授权',
    PHONE_QUOTA_EXHAUSTED: '暂时无法绑定手机号，请过一段时间再试',
    // Encrypted WeChat data
    DATA_DECRYPT_FAILED: '微信数据已过期，请重新登录后再试',
    DATA_APPID_MISMATCH: '这份微信数据不属于本小程序，请在本小程序中重新获取',
    DATA_SIGNATURE_INVALID: '微信数据校验失败，请重新登录后再试',
    SESSION_KEY_MISSING: '需要重新登录后才能读取微信数据，请重新登录',
    // Uploads
    UPLOAD_MISSING: '没有收到图片，请重新选择',
    UPLOAD_TOO_LARGE: '图片太大了，请换一张小一些的图片',
    UPLOAD_UNSUPPORTED_TYPE: '仅支持 PNG、JPEG、GIF、WebP 格式的图片，请换一张',
    UPLOAD_STORAGE_UNAVAILABLE: '图片存储暂时不可用，请稍后重试',
    UPLOAD_FAILED: '头像上传失败，请检查网络后重试',
    // Content security
    CONTENT_RISKY: '内容含有违规信息，未能保存，请修改后重试',
    // WeChat message push (server to WeChat; the app never shows these)
    PUSH_SIGNATURE_INVALID: '消息推送签名无效',
    PUSH_TIMESTAMP_STALE: '消息推送时间戳已过期',
    PUSH_MESSAGE_INVALID: '消息推送内容无法解析',
    PUSH_TRACE_UNKNOWN: '消息推送的检测任务不存在，请稍后重试',
    PUSH_NOT_CONFIGURED: '服务器未配置消息推送',
    // Any request
    INVALID_INPUT: '填写的内容有误，请检查后重试',
    HEADER_REPEATED: '请求格式有误，请重启小程序后重试',
    FORBIDDEN: '你没有权限进行此操作',
    PLATFORM_UNSUPPORTED: '当前平台暂不支持此功能',
    NOT_FOUND: '内容不存在或已被删除，请刷新后重试',
    METHOD_NOT_SUPPORTED: '请求格式有误，请更新小程序后重试',
    TIMEOUT: '请求超时，请检查网络后重试',
    PAYLOAD_TOO_LARGE: '提交的内容太大了，请精简后重试',
    UNSUPPORTED_MEDIA_TYPE: '请求格式有误，请更新小程序后重试',
    TOO_MANY_REQUESTS: '操作太频繁了，请稍后再试',
    INTERNAL_ERROR: '服务器开小差了，请稍后重试',
    SERVICE_UNAVAILABLE: '服务暂时不可用，请稍后重试',
    DATABASE_UNAVAILABLE: '服务正在维护，请稍后重试',
    UNKNOWN: '出了点问题，请稍后重试',
  } satisfies Record<Reason, string>,
  /** Validation messages per field, shown next to the field. */
  fieldErrors: {
    nicknameEmpty: '昵称不能为空',
    nicknameTooLong: '昵称最多 64 个字符',
    nicknameInvalid: '昵称格式不正确',
    avatarInvalid: '头像地址无效，请重新上传',
  },
} as const

/** The shape every language must provide. */
export type Messages = {
  readonly [Section in keyof typeof zhCN]: {
    readonly [Key in keyof (typeof zhCN)[Section]]: (typeof zhCN)[Section][Key] extends (
      ...args: infer A
    ) => string
      ? (...args: A) => string
      : string
  }
}
