/** Reported to clients in `authenticate`. */
export const SERVER_VERSION = '0.1.0';
