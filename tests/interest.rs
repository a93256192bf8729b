//! Interest management over real sockets: on a map with a `[view]`, players far apart do not receive each
//! other; walking closer brings the other player into view with a spawn, walking away takes it out with a
//! despawn, and every frame applies cleanly to each client's mirror (a spawn of a held entity or a despawn of an
//! unknown one fails the receive).

use std::time::Duration;
use tickwire_shared::ServerMessage;
use tickwire_shared::entity::position_from_wire;
use tickwire_sim::MapAsset;
use tickwire_sim::assets::Point;
use tickwire_sim::interest::ViewAsset;
use tickwire_testkit::{Client, TestServer};

/// 2000 × 600, two spawn points 800 units apart, 200-unit cells seen one cell around: a player sees at least
/// 100 units around itself and never more than 2.5 cells (500 units) away.
fn corridor() -> MapAsset {
    MapAsset {
        width: 2000.0,
        height: 600.0,
        walls: Vec::new(),
        spawns: vec![
            Point { x: 300.0, y: 300.0 },
            Point {
                x: 1100.0,
                y: 300.0,
            },
        ],
        view: Some(ViewAsset {
            cell: 200.0,
            radius: 1,
        }),
    }
}

fn x_of(c: &Client, id: u32) -> f32 {
    position_from_wire(c.mirror.entities[&id].x.unwrap_or(0))
}

/// `walker` walks along x in direction `dx` until `watcher` holds its entity (`visible`) or no longer does.
async fn walk_until(walker: &mut Client, watcher: &mut Client, dx: f32, visible: bool) -> bool {
    let id = walker.you().expect("joined");
    for _ in 0..300 {
        walker.send_input(dx, 0.0, 0.0, 0).await.expect("send");
        walker
            .recv_until(Duration::from_secs(2), |_, m| {
                matches!(m, ServerMessage::Delta(_))
            })
            .await
            .expect("walker delta");
        watcher
            .recv_until(Duration::from_secs(2), |_, m| {
                matches!(m, ServerMessage::Delta(_))
            })
            .await
            .expect("watcher delta");
        if watcher.mirror.entities.contains_key(&id) == visible {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn players_see_each_other_only_when_near() {
    let server = TestServer::start_with(|c| c.map = corridor()).await;
    let mut a = server.join("a").await;
    let mut b = server.join("b").await;
    let (a_id, b_id) = (a.you().expect("id"), b.you().expect("id"));
    for c in [&mut a, &mut b] {
        let view = c.welcome.as_ref().and_then(|w| w.view);
        assert_eq!(view, Some(100.0), "the welcome tells the guaranteed view");
        c.recv_until(Duration::from_secs(2), |c, m| {
            matches!(m, ServerMessage::Delta(_)) && c.mirror.tick.is_some()
        })
        .await
        .expect("deltas flow");
    }
    assert!(a.mirror.entities.contains_key(&a_id), "a sees itself");
    assert!(
        !a.mirror.entities.contains_key(&b_id) && !b.mirror.entities.contains_key(&a_id),
        "800 units apart, neither sees the other"
    );

    // Which spawn point each got depends on the spawn rule: walk b towards the other one.
    let towards = if x_of(&b, b_id) < 700.0 { 1.0 } else { -1.0 };
    assert!(
        walk_until(&mut b, &mut a, towards, true).await,
        "b walking towards a comes into a's view"
    );
    let gap = (x_of(&a, b_id) - x_of(&a, a_id)).abs();
    assert!(
        (100.0..=500.0).contains(&gap),
        "b appears between the guaranteed and the largest view distance, not at {gap}"
    );
    assert!(
        b.mirror.entities.contains_key(&a_id),
        "and a is in b's view too"
    );

    assert!(
        walk_until(&mut b, &mut a, -towards, false).await,
        "b walking away leaves a's view"
    );
    let gap = (x_of(&b, b_id) - x_of(&a, a_id)).abs(); // a stands still
    assert!(
        gap >= 100.0,
        "b left a's view only beyond 100 units, at {gap}"
    );
    // Both keep playing with mirrors that apply cleanly.
    for c in [&mut a, &mut b] {
        c.recv_until(Duration::from_secs(2), |_, m| {
            matches!(m, ServerMessage::Delta(_))
        })
        .await
        .expect("deltas still flow");
    }
}
