/**
 * What a node's kubelet reports about its OS (`status.nodeInfo`), derived from the node image the VM runs:
 * the values recent AKS images of each family show. Unknown or missing images read as Ubuntu 22.04.
 */

export interface NodeOs {
  osImage: string;
  kernelVersion: string;
  containerRuntimeVersion: string;
  operatingSystem: 'linux' | 'windows';
  architecture: 'amd64' | 'arm64';
}

const LINUX_RUNTIME = 'containerd://1.7.27-1';

export function nodeOsOf(image: string | null): NodeOs {
  const version = image ?? '';
  const architecture = /arm64/i.test(version) ? 'arm64' : 'amd64';
  if (version.startsWith('AKSWindows')) {
    // Windows versions are build.UBR.YYMMDD: the kernel is 10.0.<build>.<UBR>.
    const [, build = '20348', ubr = '0'] = /-(\d{5})\.(\d+)\.\d{6}$/.exec(version) ?? [];
    const server = build === '17763' ? '2019' : build === '26100' ? '2025' : '2022';
    return {
      osImage: `Windows Server ${server} Datacenter`,
      kernelVersion: `10.0.${build}.${ubr}`,
      containerRuntimeVersion: 'containerd://1.7.20+azure',
      operatingSystem: 'windows',
      architecture: 'amd64',
    };
  }
  if (version.startsWith('AKSAzureLinux-V3')) {
    return { osImage: 'Microsoft Azure Linux 3.0', kernelVersion: '6.6.85.1-2.azl3', containerRuntimeVersion: LINUX_RUNTIME, operatingSystem: 'linux', architecture };
  }
  if (version.startsWith('AKSAzureLinux') || version.startsWith('AKSCBLMariner')) {
    return { osImage: 'CBL-Mariner/Linux', kernelVersion: '5.15.180.1-1.cm2', containerRuntimeVersion: LINUX_RUNTIME, operatingSystem: 'linux', architecture };
  }
  if (version.startsWith('AKSUbuntu-2404')) {
    return { osImage: 'Ubuntu 24.04.2 LTS', kernelVersion: '6.8.0-1029-azure', containerRuntimeVersion: LINUX_RUNTIME, operatingSystem: 'linux', architecture };
  }
  return { osImage: 'Ubuntu 22.04.5 LTS', kernelVersion: '5.15.0-1089-azure', containerRuntimeVersion: LINUX_RUNTIME, operatingSystem: 'linux', architecture };
}
