import { t } from './i18n'

// Read by Taro at build time, with TARO_ENV set (weapp, h5, qq, tt or alipay).
const wechatPrivacyCheck = ['weapp', 'h5'].includes(process.env.TARO_ENV ?? 'weapp')

export default defineAppConfig({
  // WeChat's privacy authorization: chooseAvatar, <input type="nickname"> and
  // getPhoneNumber ask through wx.onNeedPrivacyAuthorization, answered by our own sheet
  // (lib/privacy.ts, components/PrivacySheet.tsx). On by default since 2023-09-15;
  // stated here for older base libraries and for readers. A WeChat key: QQ, Douyin and
  // Alipay builds leave it out (lib/platform.ts, `privacyAuthorization: 'none'`).
  ...(wechatPrivacyCheck ? { __usePrivacyCheck__: true } : {}),
  pages: ['pages/index/index', 'pages/profile/index', 'pages/sessions/index'],
  window: {
    backgroundTextStyle: 'dark',
    backgroundColor: '#f4f5f7',
    navigationBarBackgroundColor: '#f4f5f7',
    navigationBarTitleText: t.app.name,
    navigationBarTextStyle: 'black',
  },
  // Icons drawn by scripts/tab-icons.mjs (81x81 PNG, a few hundred bytes each).
  tabBar: {
    color: '#8f959e',
    selectedColor: '#07c160',
    backgroundColor: '#ffffff',
    borderStyle: 'white',
    list: [
      {
        pagePath: 'pages/index/index',
        text: t.tabs.home,
        iconPath: 'assets/tab/home.png',
        selectedIconPath: 'assets/tab/home-active.png',
      },
      {
        pagePath: 'pages/profile/index',
        text: t.tabs.profile,
        iconPath: 'assets/tab/profile.png',
        selectedIconPath: 'assets/tab/profile-active.png',
      },
      {
        pagePath: 'pages/sessions/index',
        text: t.tabs.sessions,
        iconPath: 'assets/tab/sessions.png',
        selectedIconPath: 'assets/tab/sessions-active.png',
      },
    ],
  },
})
