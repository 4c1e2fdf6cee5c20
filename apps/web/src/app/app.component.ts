import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { JoinComponent } from './join/join.component';
import { RoomComponent } from './room/room.component';
import { CallService } from './shared/call.service';

/**
 * Join screen until the user joins, then the room. While joining, the join screen
 * stays (its button says "Joining…"); the room screen renders once the consumers
 * offered at the join are set up (`CallService.roomReady`): rendering a whole screen
 * on the page's one main thread while the `join` answer and the first `newConsumer`
 * requests wait would delay the first remote frame. The lobby's waiting screen and a
 * reconnection show at once.
 */
@Component({
  selector: 'cf-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [JoinComponent, RoomComponent],
  template: `
    @if (roomShown()) {
      <cf-room />
    } @else {
      <cf-join />
    }
  `,
})
export class AppComponent {
  protected readonly call = inject(CallService);
  protected readonly roomShown = computed(() => this.call.inRoom() && this.call.roomReady());
}
