/**
 * Props for a Button that may be disabled. Taro's H5 button renders disabled={false}
 * as the attribute disabled="false", which its own CSS greys out: pass the prop only
 * when true, and mark the look with a class of ours (`is-disabled`).
 */
export function disabledProps(
  disabled: boolean,
  className: string,
): { className: string; disabled?: true } {
  return disabled ? { className: `${className} is-disabled`, disabled: true } : { className }
}
