import { Directive, ElementRef, effect, inject, input } from '@angular/core';

/**
 * Plays tracks in a `<video>` or `<audio>` element: `<video [cfMediaStream]="[track]">`.
 * A new MediaStream is built only when the set of tracks changes.
 */
@Directive({ selector: 'video[cfMediaStream], audio[cfMediaStream]' })
export class MediaStreamDirective {
  readonly cfMediaStream = input<readonly (MediaStreamTrack | null | undefined)[]>([]);
  private readonly element = inject<ElementRef<HTMLMediaElement>>(ElementRef).nativeElement;

  constructor() {
    effect(() => {
      const tracks = this.cfMediaStream().filter((t): t is MediaStreamTrack => Boolean(t));
      const current = this.element.srcObject as MediaStream | null;
      const same = current && current.getTracks().length === tracks.length && tracks.every((t) => current.getTracks().includes(t));
      if (same) return;
      this.element.srcObject = tracks.length ? new MediaStream(tracks) : null;
      if (tracks.length) this.element.play?.()?.catch(() => undefined);
    });
  }
}
