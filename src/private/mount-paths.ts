/** Where every container that needs them mounts the TLS Secret (tls.crt, tls.key, ca.crt). */
export const TLS_PATH = '/tls';
