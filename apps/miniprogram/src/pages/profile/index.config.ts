import { t } from '../../i18n'

export default definePageConfig({
  navigationBarTitleText: t.profile.navigationTitle,
})
