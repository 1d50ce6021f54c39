import { k8s } from 'cdk8s-plus-28';

/** Timing of one probe; the engine files choose numbers fitted to how the engine starts and stalls. */
export interface ProbeTiming {
  readonly period: number;
  readonly timeout: number;
  readonly failureThreshold: number;
  readonly initialDelay?: number;
}

export function execProbe(command: string[], timing: ProbeTiming): k8s.Probe {
  return {
    exec: { command },
    periodSeconds: timing.period,
    timeoutSeconds: timing.timeout,
    failureThreshold: timing.failureThreshold,
    initialDelaySeconds: timing.initialDelay,
  };
}

export function shellProbe(script: string, timing: ProbeTiming): k8s.Probe {
  return execProbe(['sh', '-c', script], timing);
}

export function tcpProbe(port: number, timing: ProbeTiming): k8s.Probe {
  return {
    tcpSocket: { port: k8s.IntOrString.fromNumber(port) },
    periodSeconds: timing.period,
    timeoutSeconds: timing.timeout,
    failureThreshold: timing.failureThreshold,
    initialDelaySeconds: timing.initialDelay,
  };
}

/** An env var read from the credentials Secret. */
export function secretEnv(name: string, secretName: string, key: string): k8s.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secretName, key } } };
}

export function plainEnv(name: string, value: string): k8s.EnvVar {
  return { name, value };
}

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
