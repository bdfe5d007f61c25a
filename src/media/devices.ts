/** One device as the SDK reports it: plain data. */
export interface DeviceInfo {
  deviceId: string;
  groupId: string;
  label: string;
}

export interface DeviceList {
  microphones: DeviceInfo[];
  cameras: DeviceInfo[];
  speakers: DeviceInfo[];
}

/** Sorts `enumerateDevices()` output by kind. Labels are empty until permission is granted. */
export function deviceList(devices: readonly MediaDeviceInfo[]): DeviceList {
  const list: DeviceList = { microphones: [], cameras: [], speakers: [] };
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i] as MediaDeviceInfo;
    const info = { deviceId: d.deviceId, groupId: d.groupId, label: d.label };
    const kind =
      d.kind === 'audioinput'
        ? list.microphones
        : d.kind === 'videoinput'
          ? list.cameras
          : d.kind === 'audiooutput'
            ? list.speakers
            : null;
    if (kind) kind[kind.length] = info;
  }
  return list;
}

/** The devices as the browser lists them; an empty list where it cannot. Never throws. */
export async function enumerateDevices(
  devices: { enumerateDevices?(): Promise<MediaDeviceInfo[]> } | undefined,
): Promise<MediaDeviceInfo[]> {
  try {
    return (await devices?.enumerateDevices?.()) ?? [];
  } catch {
    return [];
  }
}
