import type { UserConfigExport } from '@tarojs/cli'

// Development builds (`--watch`): unminified, with source maps (Taro's defaults).
export default {
  logger: {
    quiet: false,
    stats: true,
  },
  mini: {},
  h5: {},
} satisfies UserConfigExport<'webpack5'>
