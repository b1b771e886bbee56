import { Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Inputs of {@link createHardenedLaunchTemplate}. */
export interface HardenedLaunchTemplateOptions {
  readonly instanceType: ec2.InstanceType;
  readonly machineImage: ec2.IMachineImage;
  readonly userData: ec2.UserData;
  readonly role: iam.IRole;
  readonly securityGroup: ec2.ISecurityGroup;
  /** The root device of the image, such as `/dev/xvda` for Amazon Linux. */
  readonly rootDeviceName: string;
  readonly rootVolumeSize: Size;
}

/**
 * A launch template with the settings every instance of this library gets: IMDSv2 only (hop
 * limit 1), an encrypted gp3 root volume deleted with the instance, detailed (1-minute)
 * monitoring for responsive scaling, and no key pair (use Session Manager).
 */
export function createHardenedLaunchTemplate(
  scope: Construct, id: string, options: HardenedLaunchTemplateOptions,
): ec2.LaunchTemplate {
  return new ec2.LaunchTemplate(scope, id, {
    instanceType: options.instanceType,
    machineImage: options.machineImage,
    userData: options.userData,
    role: options.role,
    securityGroup: options.securityGroup,
    httpEndpoint: true,
    httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
    httpPutResponseHopLimit: 1,
    detailedMonitoring: true,
    blockDevices: [{
      deviceName: options.rootDeviceName,
      volume: ec2.BlockDeviceVolume.ebs(options.rootVolumeSize.toGibibytes(), {
        encrypted: true,
        volumeType: ec2.EbsDeviceVolumeType.GP3,
        deleteOnTermination: true,
      }),
    }],
  });
}
