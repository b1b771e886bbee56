/**
 * Where the agent runs, from the instance metadata service (IMDSv2, through the SDK's
 * MetadataService): instance id, availability zone, region and the Auto Scaling group name
 * (the `aws:autoscaling:groupName` tag, readable when the launch template enables instance
 * metadata tags). AWS_EC2_METADATA_SERVICE_ENDPOINT points it elsewhere (tests).
 */
import { MetadataService } from '@aws-sdk/ec2-metadata-service';

export const ASG_NAME_TAG = 'aws:autoscaling:groupName';

export interface ResolvedIdentity {
  readonly instanceId: string;
  readonly availabilityZone: string;
  readonly region: string;
  /** undefined when the tag is not readable (instance metadata tags off, or not in a group). */
  readonly autoScalingGroupName?: string;
}

/** The part of MetadataService used here. */
export interface MetadataSource {
  request(path: string, options: Record<string, never>): Promise<string>;
}

export function defaultMetadataSource(): MetadataSource {
  return new MetadataService({ httpOptions: { timeout: 2000 }, retries: 2 });
}

export async function resolveIdentity(source: MetadataSource = defaultMetadataSource()): Promise<ResolvedIdentity> {
  const get = (p: string): Promise<string> => source.request(`/latest/meta-data/${p}`, {});
  const [instanceId, availabilityZone, region] = await Promise.all([
    get('instance-id'), get('placement/availability-zone'), get('placement/region'),
  ]);
  let autoScalingGroupName: string | undefined;
  try {
    autoScalingGroupName = (await get(`tags/instance/${ASG_NAME_TAG}`)).trim() || undefined;
  } catch {
    autoScalingGroupName = undefined; // 404: tags not enabled or no group
  }
  return { instanceId: instanceId.trim(), availabilityZone: availabilityZone.trim(), region: region.trim(), autoScalingGroupName };
}
