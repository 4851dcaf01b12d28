import { z } from 'zod';

/**
 * Field-level building blocks shared by the service and environment specs.
 * Every message says what was expected, because it is printed to the user
 * next to the file, line and field.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const dnsLabel = z
  .string()
  .max(63, 'expected at most 63 characters (a DNS-1123 label)')
  .regex(
    DNS_LABEL,
    'expected a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit',
  );

const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * A service's name: a DNS-1035 label, as the API server requires of a
 * Service's name (`9lives` is refused: it must start with a letter). The
 * same name names its workload, ConfigMaps, claims and Argo CD Application.
 */
export const serviceName = z
  .string()
  .max(63, 'expected at most 63 characters (a DNS-1035 label, as a Service name must be)')
  .regex(
    DNS_1035_LABEL,
    'expected a DNS-1035 label, as a Service name must be: lower-case letters, digits and "-", starting ' +
      'with a letter and ending with a letter or digit',
  );

export const dnsSubdomain = z
  .string()
  .max(253, 'expected at most 253 characters (a DNS-1123 subdomain)')
  .regex(
    DNS_SUBDOMAIN,
    'expected a DNS-1123 subdomain: lower-case letters, digits, "-" and ".", e.g. shop.example.com',
  );

/**
 * A public host name: a DNS-1123 subdomain whose every label has at most 63
 * characters, as DNS (and so certificates and ingress controllers) require.
 */
export const hostName = dnsSubdomain.refine((v) => v.split('.').every((l) => l.length <= 63), {
  message: 'expected a host name whose every part between dots has at most 63 characters (a DNS rule)',
});

/** Kubernetes resource quantity, e.g. `100m`, `1.5`, `256Mi`, `1G`. */
const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?\d+))?$/;

export const cpuQuantity = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine((v) => QUANTITY.test(v), { message: 'expected a CPU quantity such as 100m, 0.5 or 2' });

export const memoryQuantity = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine((v) => QUANTITY.test(v), { message: 'expected a memory quantity such as 128Mi, 1Gi or 500M' })
  .refine((v) => !/[0-9.]m$/.test(v), {
    message: 'expected a memory quantity such as 128Mi; a lower-case "m" means milli-bytes (write Mi for mebibytes)',
  });

export const storageQuantity = memoryQuantity;

export const port = z
  .number({ error: 'expected a port number' })
  .int('expected a whole number')
  .min(1, 'expected a port from 1 to 65535')
  .max(65535, 'expected a port from 1 to 65535');

/** IANA service name, as Kubernetes requires for container and service port names. */
export const portName = z
  .string()
  .max(15, 'expected a port name of at most 15 characters')
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a port name: lower-case letters, digits and "-"')
  .refine((v) => /[a-z]/.test(v), { message: 'expected a port name with at least one letter' })
  .refine((v) => !v.includes('--'), { message: 'expected a port name without "--" (an IANA service name)' });

/** A port given by number or by the name of one of the service's ports. */
export const portRef = z.union([port, portName], {
  error: "expected a port number or the name of one of the service's ports",
});

export const envVarName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'expected an environment variable name: letters, digits and "_", not starting with a digit',
  );

export const absolutePath = z.string().regex(/^\/[^\0]*$/, 'expected an absolute path starting with "/"');

export const stringList = z.array(z.string({ error: 'expected a string' }), { error: 'expected a list of strings' });

export const positiveInt = z
  .number({ error: 'expected a whole number' })
  .int('expected a whole number')
  .min(1, 'expected a number of at least 1');
export const nonNegativeInt = z
  .number({ error: 'expected a whole number' })
  .int('expected a whole number')
  .min(0, 'expected a number of at least 0');

const quantities = (what: string) =>
  z
    .strictObject({
      cpu: cpuQuantity.optional().describe('CPU, in cores or millicores: e.g. 100m, 0.5 or 2.'),
      memory: memoryQuantity
        .optional()
        .describe('Memory, e.g. 128Mi, 1Gi or 500M (Mi for mebibytes: a lower-case m means milli-bytes).'),
      'ephemeral-storage': storageQuantity
        .optional()
        .describe("Local disk (the container's writable layer, logs, emptyDir volumes), e.g. 1Gi."),
    })
    .optional()
    .describe(what);

export const resources = z.strictObject({
  requests: quantities('What the scheduler reserves for the container on a node.'),
  limits: quantities('The most the container may use: over its memory limit it is killed, over CPU throttled.'),
});
export type Resources = z.infer<typeof resources>;
