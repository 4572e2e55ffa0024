import { useLaunch } from '@tarojs/taro'
import type { ComponentType, PropsWithChildren } from 'react'
import { startAccount } from './lib/account'
import { startPrivacy } from './lib/privacy'
import './app.css'

// The H5 preview's simulator panel, floating over every page. The require sits in an
// H5-only branch, so the weapp build drops it (test/build-output.test.ts checks).
const DevPanel: ComponentType | null =
  process.env.TARO_ENV === 'h5' ? require('./dev/DevPanel').DevPanel : null

function App({ children }: PropsWithChildren) {
  // WeChat advises logging in at launch (onLaunch), not on every page show.
  useLaunch(() => {
    // The one onNeedPrivacyAuthorization listener (only the last registered counts).
    startPrivacy()
    void startAccount()
  })
  if (DevPanel) {
    return (
      <>
        {children}
        <DevPanel />
      </>
    )
  }
  // children is the page being rendered
  return children
}

export default App
