/** Which container images the local data plane can run: the ruvector image, under any registry path or tag. */
const RUVECTOR = /(^|\/)ruvector(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

export function isRunnableImage(image: string | undefined): boolean {
  return !!image && RUVECTOR.test(image);
}

/** What Cloud Run says when it cannot pull an image, with why locally. */
export function unrunnableMessage(image: string | undefined): string {
  return `Image '${image ?? ''}' not found. The local emulator runs only the ruvector image (e.g. ruvector:local or REGISTRY/PROJECT/ruvector:TAG); other images cannot be pulled or run on this machine.`;
}
