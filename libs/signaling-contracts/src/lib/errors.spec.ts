import { ERROR_CODES, SignalingError, isErrorCode } from './errors';

describe('SignalingError', () => {
  it('round-trips through the wire form', () => {
    const error = new SignalingError('not_found', 'producer p1 does not exist', { producerId: 'p1' });
    const back = SignalingError.fromWire(JSON.parse(JSON.stringify(error.toWire())));
    expect(back).toBeInstanceOf(SignalingError);
    expect(back.name).toBe('SignalingError');
    expect(back.code).toBe('not_found');
    expect(back.reason).toBe('producer p1 does not exist');
    expect(back.details).toEqual({ producerId: 'p1' });
  });

  it('recognises only the closed set of codes', () => {
    for (const code of ERROR_CODES) expect(isErrorCode(code)).toBe(true);
    expect(isErrorCode('teapot')).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });
});
