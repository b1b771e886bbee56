/** The native batch I/O addons embedded in an agent bundle's text, as arch -> ELF e_machine. */
export function embeddedAddonMachines(bundleText: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of bundleText.matchAll(/\b(x64|arm64)"?:\s*"([A-Za-z0-9+/=]{1000,})"/g)) {
    const bytes = Buffer.from(m[2], 'base64');
    out[m[1]] = bytes.readUInt32BE(0) === 0x7f454c46 ? bytes.readUInt16LE(18) : -1;
  }
  return out;
}

/** ELF e_machine of x86_64 and aarch64. */
export const ELF_MACHINES = { x64: 62, arm64: 183 };
