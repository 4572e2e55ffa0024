import { Button, Input, Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useEffect, useState } from 'react'
import { AccountGate } from '../../components/AccountGate'
import { Avatar } from '../../components/Avatar'
import { disabledProps } from '../../components/disabled'
import { PrivacySheet } from '../../components/PrivacySheet'
import { Spinner } from '../../components/StateViews'
import { t } from '../../i18n'
import { deleteAccount, setUser, useAccount } from '../../lib/account'
import { describeError, fieldErrorsOf, nicknameMessage } from '../../lib/errors'
import { capabilities, h5PhoneCode } from '../../lib/platform'
import { isPrivacyRefusal, requirePrivacy } from '../../lib/privacy'
import { api, type User } from '../../lib/session'
import { uploadAvatar } from '../../lib/upload'
import './index.css'

// What this platform offers (lib/platform.ts): the WeChat buttons, or their stand-ins.
const { avatarPicker, nicknameInputType, phoneNumber, privacyAuthorization } = capabilities
const withAvatarButton = avatarPicker === 'chooseAvatar'
const withPhoneButton = phoneNumber === 'getPhoneNumberButton'
/** The H5 stand-in asks for consent before each action; WeChat's components ask by themselves. */
const consentFirst = privacyAuthorization === 'simulator'

interface AvatarState {
  uploading: boolean
  /** The chosen image, shown while it uploads. */
  preview: string | null
  error: string | null
}

interface Notice {
  kind: 'success' | 'error' | 'info'
  text: string
}

/**
 * Runs an H5 action that uses personal data once the privacy consent is there (the H5
 * stand-in asks first). Elsewhere `requirePrivacy` is true: WeChat's own components
 * ask, and QQ, Douyin and Alipay have no such check.
 */
function afterConsent(action: () => void): () => void {
  return () => {
    void requirePrivacy().then((allowed) => {
      if (allowed) action()
    })
  }
}

/** A user who cancels a picker is no error to show. */
function isCancel(error: unknown): boolean {
  const errMsg = error && typeof error === 'object' ? (error as { errMsg?: unknown }).errMsg : null
  return typeof errMsg === 'string' && /cancel/i.test(errMsg)
}

function AvatarSection({ user }: { user: User }) {
  const [state, setState] = useState<AvatarState>({ uploading: false, preview: null, error: null })

  // chooseAvatar / chooseImage give a temporary local file: upload it, then save its URL.
  const change = async (filePath: string) => {
    setState({ uploading: true, preview: filePath, error: null })
    try {
      const url = await uploadAvatar(filePath)
      setUser(await api.user.updateProfile.mutate({ avatarUrl: url }))
      setState({ uploading: false, preview: null, error: null })
      Taro.showToast({ title: t.profile.avatarUpdated, icon: 'success' })
    } catch (error) {
      const fields = fieldErrorsOf(error)
      const message = fields.avatarUrl ? t.fieldErrors.avatarInvalid : describeError(error).message
      setState({ uploading: false, preview: null, error: message })
    }
  }

  // No chooseAvatar button (H5, QQ, Douyin, Alipay): pick an image instead.
  const chooseImage = () => {
    Taro.chooseImage({ count: 1, sizeType: ['compressed'], sourceType: ['album', 'camera'] }).then(
      (result) => {
        const path = result.tempFilePaths[0]
        if (path) void change(path)
        // Taro drops a file the browser cannot decode as an image.
        else
          setState({
            uploading: false,
            preview: null,
            error: t.errors.UPLOAD_UNSUPPORTED_TYPE,
          })
      },
      (error: unknown) => {
        if (!isCancel(error)) setState({ ...state, error: describeError(error).message })
      },
    )
  }

  return (
    <View className="card profile-avatar">
      <Button
        id="profile-avatar"
        {...disabledProps(state.uploading, 'profile-avatar__picker')}
        openType={withAvatarButton ? 'chooseAvatar' : undefined}
        onChooseAvatar={(event) => {
          const { avatarUrl } = event.detail as { avatarUrl?: unknown }
          if (typeof avatarUrl === 'string' && avatarUrl) void change(avatarUrl)
        }}
        onClick={withAvatarButton ? undefined : afterConsent(chooseImage)}
      >
        <Avatar url={state.preview ?? user.avatarUrl} size="xl" />
        <View className="profile-avatar__badge">
          <Text className="profile-avatar__badge-text">+</Text>
        </View>
      </Button>
      {state.uploading ? (
        <View id="avatar-uploading" className="profile-avatar__status">
          <Spinner small />
          <Text className="profile-avatar__hint">{t.profile.uploading}</Text>
        </View>
      ) : (
        <Text className="profile-avatar__hint">{t.profile.changeAvatar}</Text>
      )}
      {avatarPicker === 'chooseImage' && (
        // Said, not hidden: this platform has no avatar button of its own.
        <Text id="avatar-picker-note" className="profile-avatar__hint">
          {t.profile.avatarFromAlbum}
        </Text>
      )}
      {state.error && (
        <Text id="avatar-error" className="field__error">
          {state.error}
        </Text>
      )}
    </View>
  )
}

function NicknameSection({ user }: { user: User }) {
  const saved = user.nickname ?? ''
  const [draft, setDraft] = useState(saved)
  const [saving, setSaving] = useState(false)
  const [fieldError, setFieldError] = useState<string | null>(null)
  const [formError, setFormError] = useState<string | null>(null)

  // Another user (or a save elsewhere) replaces the draft.
  useEffect(() => {
    setDraft(saved)
    setFieldError(null)
  }, [saved])

  const save = async () => {
    setSaving(true)
    setFieldError(null)
    setFormError(null)
    try {
      const updated = await api.user.updateProfile.mutate({ nickname: draft })
      setUser(updated)
      Taro.showToast({ title: t.common.saved, icon: 'success' })
    } catch (error) {
      // The server's rules decide: show its verdict next to the field.
      const fields = fieldErrorsOf(error)
      if (fields.nickname) setFieldError(nicknameMessage(fields.nickname))
      else setFormError(describeError(error).message)
    } finally {
      setSaving(false)
    }
  }

  const onValue = (value: string) => {
    setDraft(value)
    if (fieldError) setFieldError(null)
  }

  return (
    <View className="card profile-form">
      <Text className="profile-form__label">{t.profile.nickname}</Text>
      <Input
        id="nickname-input"
        className={
          fieldError ? 'profile-form__input profile-form__input--error' : 'profile-form__input'
        }
        // WeChat offers the user's nickname above the keyboard for type="nickname".
        type={nicknameInputType}
        value={draft}
        placeholder={t.profile.nicknamePlaceholder}
        // H5: the stand-in asks for privacy consent when the field is entered, as
        // WeChat does for type="nickname".
        onFocus={consentFirst ? afterConsent(() => {}) : undefined}
        onInput={(event) => onValue(event.detail.value)}
        // Picking the WeChat nickname may fire only blur/change, not input.
        onBlur={(event) => onValue(event.detail.value)}
        onConfirm={() => void save()}
      />
      {fieldError && (
        <Text id="nickname-error" className="field__error">
          {fieldError}
        </Text>
      )}
      <Button
        id="profile-save"
        {...disabledProps(saving || draft === saved, 'btn btn--primary profile-form__save')}
        onClick={() => void save()}
      >
        {saving ? t.profile.saving : t.profile.save}
      </Button>
      {formError && (
        <Text id="profile-error" className="field__error profile-form__error">
          {formError}
        </Text>
      )}
    </View>
  )
}

function PhoneSection({ user }: { user: User }) {
  const [binding, setBinding] = useState(false)
  const [notice, setNotice] = useState<Notice | null>(null)

  const bind = async (code: string) => {
    setBinding(true)
    setNotice(null)
    try {
      await api.user.bindPhone.mutate({ code })
      setUser(await api.user.me.query())
      setNotice({ kind: 'success', text: t.profile.phoneBound })
    } catch (error) {
      // PHONE_CODE_INVALID, PHONE_CODE_MISMATCH, PHONE_QUOTA_EXHAUSTED… each has its text.
      setNotice({ kind: 'error', text: describeError(error).message })
    } finally {
      setBinding(false)
    }
  }

  const onBrowserClick = () => {
    setBinding(true)
    h5PhoneCode().then(
      (code) => void bind(code),
      (error: unknown) => {
        setBinding(false)
        setNotice({ kind: 'error', text: describeError(error).message })
      },
    )
  }

  // No phone flow the server understands on this platform: the button stays, disabled,
  // with the reason under it.
  const unavailable = phoneNumber === 'unavailable'

  return (
    <View className="card profile-phone">
      <View className="row">
        <Text className="row__label">{t.profile.phone}</Text>
        <Text id="profile-phone" className="row__value">
          {user.phoneNumber ?? t.profile.phoneUnbound}
        </Text>
      </View>
      <Button
        id="bind-phone"
        {...disabledProps(binding || unavailable, 'btn btn--secondary profile-phone__bind')}
        openType={withPhoneButton ? 'getPhoneNumber' : undefined}
        onGetPhoneNumber={(event) => {
          const { code } = event.detail
          if (code) void bind(code)
          // Declined in the privacy sheet: the sheet says so; otherwise the user said no here.
          else if (isPrivacyRefusal(event.detail)) setNotice(null)
          else setNotice({ kind: 'info', text: t.profile.phoneCancelled })
        }}
        onClick={phoneNumber === 'simulator' ? afterConsent(onBrowserClick) : undefined}
      >
        {binding ? t.profile.binding : t.profile.bindPhone}
      </Button>
      {unavailable && (
        <Text id="phone-unavailable" className="profile-phone__notice profile-phone__notice--info">
          {t.profile.phoneUnavailable}
        </Text>
      )}
      {notice && (
        <Text
          id="phone-message"
          className={`profile-phone__notice profile-phone__notice--${notice.kind}`}
        >
          {notice.text}
        </Text>
      )}
    </View>
  )
}

/** 注销账号: confirmed, then user.deleteAccount; the app is logged out afterwards. */
function DeleteAccountSection() {
  const [deleting, setDeleting] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const confirmAndDelete = async () => {
    const answer = await Taro.showModal({
      title: t.profile.deleteAccountConfirmTitle,
      content: t.profile.deleteAccountConfirm,
      confirmText: t.profile.deleteAccountConfirmButton,
      confirmColor: '#d7312a',
      cancelText: t.common.cancel,
    }).catch(() => null)
    if (!answer?.confirm) return
    setDeleting(true)
    setError(null)
    try {
      await deleteAccount()
      Taro.showToast({ title: t.profile.accountDeleted, icon: 'none' })
    } catch (failure) {
      setError(describeError(failure).message)
      setDeleting(false)
    }
  }

  return (
    <View className="card profile-delete">
      <Text className="profile-delete__hint">{t.profile.deleteAccountHint}</Text>
      <Button
        id="profile-delete-account"
        {...disabledProps(deleting, 'btn btn--danger profile-delete__button')}
        onClick={() => void confirmAndDelete()}
      >
        {deleting ? t.profile.deletingAccount : t.profile.deleteAccount}
      </Button>
      {error && (
        <Text id="delete-account-error" className="field__error">
          {error}
        </Text>
      )}
    </View>
  )
}

export default function Profile() {
  const account = useAccount()
  return (
    <View className="page profile">
      <AccountGate page="profile" account={account}>
        {(user) => (
          <>
            <AvatarSection user={user} />
            <NicknameSection user={user} />
            <PhoneSection user={user} />
            <DeleteAccountSection />
          </>
        )}
      </AccountGate>
      {/* The privacy consent sheet, over this page while WeChat waits for an answer. */}
      <PrivacySheet />
    </View>
  )
}
