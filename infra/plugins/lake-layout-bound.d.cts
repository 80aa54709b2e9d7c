// Types for the plugin's test; osls itself loads the .cjs file.
declare class LakeLayoutBound {
  constructor(serverless: unknown, options: unknown, utils?: { log?: Record<string, (text: string) => void> });
  hooks: Record<string, () => void>;
}
export = LakeLayoutBound;
