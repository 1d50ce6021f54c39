import { Duration } from 'cdk8s';

/** Kind of cert-manager issuer. */
export enum IssuerKind {
  ISSUER = 'Issuer',
  CLUSTER_ISSUER = 'ClusterIssuer',
}

/**
 * TLS for client connections: a cert-manager Certificate, or an existing TLS Secret holding
 * `tls.crt`, `tls.key` and `ca.crt`.
 */
export interface TlsOptions {
  /**
   * Name of the cert-manager issuer that signs the certificate.
   * @default - none; then `secretName` is required
   * @see https://cert-manager.io/docs/usage/certificate/
   */
  readonly issuerName?: string;
  /**
   * Kind of the issuer.
   * @default IssuerKind.ISSUER
   */
  readonly issuerKind?: IssuerKind;
  /**
   * An existing TLS Secret (`tls.crt`, `tls.key`, `ca.crt`) instead of a Certificate.
   * @default - a Certificate is created, writing `<name>-tls`
   */
  readonly secretName?: string;
  /**
   * Lifetime of the certificate.
   * @default Duration.days(90)
   */
  readonly duration?: Duration;
  /**
   * How long before expiry cert-manager renews it.
   * @default Duration.days(30)
   */
  readonly renewBefore?: Duration;
}
