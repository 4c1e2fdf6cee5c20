import { ChangeDetectionStrategy, Component } from '@angular/core';

@Component({
  selector: 'cf-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<h1>Confer</h1>`,
})
export class AppComponent {}
