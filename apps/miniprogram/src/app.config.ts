import { t } from './i18n'

export default defineAppConfig({
  pages: ['pages/index/index'],
  window: {
    backgroundTextStyle: 'dark',
    backgroundColor: '#f4f5f7',
    navigationBarBackgroundColor: '#f4f5f7',
    navigationBarTitleText: t.app.name,
    navigationBarTextStyle: 'black',
  },
})
