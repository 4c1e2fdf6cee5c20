import { ValidateBy, type ValidationOptions } from 'class-validator';
import { checkWire, type WireRule } from '@confer/signaling-contracts';

/**
 * The property must match a wire rule of the contract (media-wire.ts): the
 * types, ranges and closed sets mediasoup's worker schema accepts. The message
 * names each bad field by its full path (`rtpParameters.encodings[0].maxBitrate`).
 */
export function IsWire(rule: WireRule, options?: ValidationOptions): PropertyDecorator {
  const validate = ValidateBy(
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
  return (target, property) => {
    validate(target, property);
    const owner = target.constructor;
    const names = WIRE_PROPERTIES.get(owner) ?? new Set<string>();
    names.add(String(property));
    WIRE_PROPERTIES.set(owner, names);
  };
}

/** The properties each DTO class declares with @IsWire (its own, not its parents'). */
const WIRE_PROPERTIES = new WeakMap<object, Set<string>>();
const wireCache = new WeakMap<object, readonly string[]>();

/**
 * The @IsWire properties of `dto` and the classes it extends. Their values are
 * plain JSON that checkWire validates whole, so class-transformer need not
 * deep-copy them into the DTO instance (measured: most of its time on `join`
 * and `produce`, whose capabilities and RTP parameters are large trees).
 */
export function wirePropertiesOf(dto: abstract new (...args: never[]) => unknown): readonly string[] {
  let names = wireCache.get(dto);
  if (!names) {
    const found = new Set<string>();
    for (let c: unknown = dto; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
      for (const name of WIRE_PROPERTIES.get(c) ?? []) found.add(name);
    }
    names = [...found];
    wireCache.set(dto, names);
  }
  return names;
}
