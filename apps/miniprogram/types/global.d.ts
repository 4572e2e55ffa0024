/// <reference types="@tarojs/taro" />

declare module '*.png'
declare module '*.gif'
declare module '*.jpg'
declare module '*.jpeg'
declare module '*.svg'
declare module '*.css'

/*
 * `process.env.*` in src/ is replaced at build time (webpack DefinePlugin): there is no
 * `process` at run time in the mini-program, so read nothing else from it there.
 */
declare namespace NodeJS {
  interface ProcessEnv {
    /** Set by Taro: the target platform. */
    TARO_ENV?: 'weapp' | 'h5' | 'qq' | 'tt' | 'alipay'
    /** Base URL of the API server (see config/index.ts). */
    TARO_APP_API_URL?: string
    /** H5 only: base URL of the WeChat simulator (see config/index.ts). */
    TARO_APP_SIM_URL?: string
    /** H5 only: the appid the preview logs in as (see config/index.ts). */
    TARO_APP_APPID?: string
    /** WeChat Cloud Hosting environment id; with TARO_APP_CLOUD_SERVICE, calls use callContainer. */
    TARO_APP_CLOUD_ENV?: string
    /** WeChat Cloud Hosting service name (X-WX-SERVICE). */
    TARO_APP_CLOUD_SERVICE?: string
  }
}
