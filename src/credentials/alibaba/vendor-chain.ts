/**
 * The profile-file step of the Alibaba default chain, delegated to the vendor's own
 * `@alicloud/credentials` (2.4.7): the CLI's `~/.aliyun/config.json` and the credentials file
 * (`~/.alibabacloud/credentials` or `ALIBABA_CLOUD_CREDENTIALS_FILE`), in every mode they support.
 * The library exposes no expiry, so ./refreshing.ts reuses an answer for
 * `credentials.unknownLifetimeMs` (and at once after a refusal); the library renews its own STS
 * sessions inside that. Its HTTPS-only, fixed-host exchanges are why the explicit sources
 * (oidc, assume-role, ecs-ram-role) are ours: they honour JOBS_ENDPOINT_* and run against the fakes.
 */
import { CLIProfileCredentialsProvider, ProfileCredentialsProvider } from '@alicloud/credentials';
import { JobError } from '../../errors.js';
import type { AlibabaCredentials } from '../../providers/types.js';
import type { ObtainCredential } from '../types.js';

export function alibabaVendorChainStep(): ObtainCredential<AlibabaCredentials> {
  const providers = [CLIProfileCredentialsProvider.builder().build(), ProfileCredentialsProvider.builder().build()];
  return async () => {
    for (const provider of providers) {
      try {
        const c = await provider.getCredentials();
        return {
          value: {
            accessKeyId: c.accessKeyId,
            accessKeySecret: c.accessKeySecret,
            ...(c.securityToken ? { securityToken: c.securityToken } : {}),
          },
          expiresAt: null,
        };
      } catch {
        // Not configured here (no file, no profile): the next step of the chain decides.
      }
    }
    throw new JobError('CREDENTIALS_UNAVAILABLE', 'no Alibaba CLI profile or credentials file', {});
  };
}
