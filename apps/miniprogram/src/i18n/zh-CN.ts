/** Simplified Chinese texts of the interface (the app's default and only language so far). */
export const zhCN = {
  app: {
    name: '小程序起步',
  },
  home: {
    navigationTitle: '首页',
    heroTitle: '小程序起步模板',
    heroSubtitle: '基于 Taro、React 与 tRPC，类型安全地连接你的服务器。',
    statusCardTitle: '服务器状态',
    connecting: '连接服务器…',
    connected: '已连接',
    unreachable: '无法连接服务器',
    unreachableHint: '请确认服务器已启动、网络正常，然后重试。',
    retry: '重试',
    refresh: '刷新',
    serverTime: '服务器时间',
    latency: '响应耗时',
    latencyValue: (ms: number) => `${ms} 毫秒`,
    apiUrl: '接口地址',
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
