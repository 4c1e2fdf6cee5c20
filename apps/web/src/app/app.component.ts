import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { JoinComponent } from './join/join.component';
import { RoomComponent } from './room/room.component';
import { CallService } from './shared/call.service';

/** Join screen until the user joins, then the room. */
@Component({
  selector: 'cf-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [JoinComponent, RoomComponent],
  template: `
    @if (call.inRoom()) {
      <cf-room />
    } @else {
      <cf-join />
    }
  `,
})
export class AppComponent {
  protected readonly call = inject(CallService);
}
