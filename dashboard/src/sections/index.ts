/** The dashboard's sections, in the order the page shows them: add one here to show it. */
import { channelsSection } from './channels';
import { goalsSection } from './goals';
import { groupsSection } from './groups';
import { overviewSection } from './overview';
import { retentionSection } from './retention';
import { scenesSection } from './scenes';
import type { Section } from './section';
import { sendsSection } from './sends';
import { sharesSection } from './shares';
import { todaySection } from './today';

export const SECTIONS: Section[] = [todaySection, overviewSection, scenesSection, channelsSection, sharesSection, groupsSection, sendsSection, retentionSection, goalsSection];
