import { Image, View } from '@tarojs/components'

export interface AvatarProps {
  /** The user's avatar; without one a friendly default figure is drawn. */
  url: string | null | undefined
  size?: 'md' | 'lg' | 'xl'
  id?: string
}

/** A round avatar. The default one is drawn with CSS: no image asset to ship. */
export function Avatar({ url, size = 'md', id }: AvatarProps) {
  return (
    <View id={id} className={`avatar avatar--${size}`}>
      {url ? (
        <Image className="avatar__image" src={url} mode="aspectFill" />
      ) : (
        <View className="avatar__default">
          <View className="avatar__head" />
          <View className="avatar__body" />
        </View>
      )}
    </View>
  )
}
