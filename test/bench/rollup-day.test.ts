/**
 * The day `npm run bench -- rollup` loads (`bench/rollup/day.ts`): exactly as many events as
 * asked, of every kind `track` stores, and user-days that are what the shared counting code makes
 * of those events (`userDaysOf`), so that the rollup and the baseline count the same day.
 */
import { storedDay, type StoredUser } from '../../bench/rollup/day';
import { DAY } from '../../bench/cost/day';
import type { UserDayDoc } from '../../shared/model';
import { userDaysOf } from '../helpers/rollup-trace';

const users: StoredUser[] = [...storedDay(3000)];
const events = users.flatMap((user) => user.events);

test('the day has the events asked for, entries, page views, hides and shares among them, from users a third of whom are new', () => {
  expect(events).toHaveLength(3000);
  expect(new Set(events.map((event) => event._id)).size).toBe(3000);
  const types = new Set(events.map((event) => event.type));
  expect([...types].sort()).toEqual(['enter', 'hide', 'page', 'share']);
  expect(events.every((event) => event.openid.length === 28)).toBe(true);
  const newUsers = users.filter((user) => user.user.firstDay === DAY.day).length;
  expect(newUsers / users.length).toBeCloseTo(1 / 3, 1);
  // cards shared earlier in the day are opened, and some chats' cards come with their group
  expect(events.some((event) => event.type === 'enter' && event.share?.isReturn)).toBe(true);
  expect(events.some((event) => event.type === 'enter' && event.groupId !== undefined)).toBe(true);
});

test('each user-day is what userDaysOf counts from the user’s events and users document', () => {
  // userDaysOf's latest entry leaves out its channel and card (what a share builds on), which no rollup reads
  const counts = ({ latest: _latest, ...doc }: UserDayDoc): Omit<UserDayDoc, 'latest'> => doc;
  for (const { events: ofUser, user, userDays } of users) {
    expect(userDays.map(counts)).toEqual(userDaysOf(ofUser, [user], userDays[0].at).map(counts));
  }
});
