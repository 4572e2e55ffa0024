import type { UserConfigExport } from '@tarojs/cli'

// Production builds: minified, no source maps (keeps dist/ small: the weapp main
// package must stay well under WeChat's 2 MB limit; our budget is 400 KB).
export default {
  mini: {
    enableSourceMap: false,
  },
  h5: {
    enableSourceMap: false,
  },
} satisfies UserConfigExport<'webpack5'>
