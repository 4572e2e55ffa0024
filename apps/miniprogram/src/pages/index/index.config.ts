import { t } from '../../i18n'

export default definePageConfig({
  navigationBarTitleText: t.home.navigationTitle,
  enablePullDownRefresh: true,
})
