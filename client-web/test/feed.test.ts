// The kill feed's choice of lines: with interest management every kill on the field reaches every client, most of
// them between players it never held.

import { describe, expect, it } from 'vitest';
import { Feed, killLine, UNKNOWN_COLOUR, UNKNOWN_NAME, type FeedName } from '../src/game/feed';

const ann: FeedName = { id: 1, name: 'ann', colour: 0x112233 };
const bob: FeedName = { id: 2, name: 'bob', colour: 0x445566 };
const YOU = 1;

describe('killLine', () => {
  it('leaves out a kill between two players the client does not know', () => {
    expect(killLine(77, null, 78, null, YOU, 0)).toBeNull();
    // Spectating (no own player): the same.
    expect(killLine(77, null, 78, null, null, 0)).toBeNull();
  });

  it('shows a kill where it knows one of them, naming that one and "someone" for the other', () => {
    expect(killLine(2, bob, 78, null, YOU, 5)).toEqual({
      at: 5,
      text: `bob ⟶ ${UNKNOWN_NAME}`,
      killer: bob,
      victim: { id: 78, name: UNKNOWN_NAME, colour: UNKNOWN_COLOUR },
      mine: false,
    });
    expect(killLine(77, null, 2, bob, YOU, 5)).toMatchObject({
      text: `${UNKNOWN_NAME} ⟶ bob`,
      killer: { id: 77, name: UNKNOWN_NAME },
      victim: bob,
      mine: false,
    });
  });

  it('shows a kill between two known players', () => {
    expect(killLine(1, ann, 2, bob, 9, 0)).toMatchObject({ text: 'ann ⟶ bob', killer: ann, victim: bob, mine: false });
  });

  it("always shows the local player's own kills and death, even by or of a stranger", () => {
    expect(killLine(77, null, YOU, ann, YOU, 0)).toMatchObject({ text: `${UNKNOWN_NAME} ⟶ ann`, mine: true });
    expect(killLine(YOU, ann, 78, null, YOU, 0)).toMatchObject({ text: `ann ⟶ ${UNKNOWN_NAME}`, mine: true });
    // Even if (not held for a moment) its own name is not at hand.
    expect(killLine(77, null, YOU, null, YOU, 0)).toMatchObject({ text: `${UNKNOWN_NAME} ⟶ ${UNKNOWN_NAME}`, mine: true });
  });

  it('keeps the feed to the kills shown', () => {
    const feed = new Feed();
    for (let i = 0; i < 10; i++) {
      const line = killLine(100 + i, null, 200 + i, null, YOU, i);
      if (line) feed.addKill(line);
    }
    feed.addKill(killLine(2, bob, 78, null, YOU, 11)!);
    expect(feed.kills.map((l) => l.text)).toEqual([`bob ⟶ ${UNKNOWN_NAME}`]);
  });
});
