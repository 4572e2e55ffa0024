// babel-preset-taro options: https://docs.taro.zone/docs/next/babel-config
// Targets come from the "browserslist" field of package.json. config/index.ts
// sets BROWSERSLIST_ENV to the Taro platform, so the weapp build uses the
// "weapp" entry (ES2017 for older WeChat clients) and H5 the "h5" entry.
module.exports = {
  presets: [['taro', { framework: 'react', ts: true, compiler: 'webpack5' }]],
}
