//! Inputs shared by the benchmarks: full pages of each feed, as the service sends them.

/// A full page (1000 events) of the user events feed.
pub fn user_events_page() -> Vec<u8> {
    let events: Vec<serde_json::Value> = (0..1000)
        .map(|i| {
            serde_json::json!({"user_id": format!("user-{i:05}"), "type": if i % 2 == 0 { "Login" } else { "Logout" },
                               "ms": 1_700_000_000_000u64 + i})
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({"result": "success", "request_id": "165454_13306870108610070770", "events": events}))
        .unwrap_or_default()
}

/// A full page (1000 events) of the channel events feed.
pub fn channel_events_page() -> Vec<u8> {
    let events: Vec<serde_json::Value> = (0..1000)
        .map(|i| {
            serde_json::json!({"group_id": format!("channel-{:03}", i % 50), "user_id": format!("user-{i:05}"),
                               "type": if i % 2 == 0 { "Join" } else { "Leave" }, "ms": 1_700_000_000_000u64 + i})
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({"result": "success", "request_id": "165454_13306870108610070770", "events": events}))
        .unwrap_or_default()
}
