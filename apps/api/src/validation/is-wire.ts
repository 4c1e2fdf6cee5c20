import { ValidateBy, type ValidationOptions } from 'class-validator';
import { checkWire, type WireRule } from '@confer/signaling-contracts';

/**
 * The property must match a wire rule of the contract (media-wire.ts): the
 * types, ranges and closed sets mediasoup's worker schema accepts. The message
 * names each bad field by its full path (`rtpParameters.encodings[0].maxBitrate`).
 */
export function IsWire(rule: WireRule, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isWire',
      validator: {
        validate: (value: unknown) => checkWire(rule, value, '', 1).length === 0,
        defaultMessage: (args) =>
          checkWire(rule, args?.value, args?.property ?? '')
            .map((p) => `${p.path} ${p.message}`)
            .join('; '),
      },
    },
    options,
  );
}
