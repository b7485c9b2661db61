//! Who is online, per app id: what `wait_for_ack` peer messages consult.
//!
//! Presence follows every user event the emulator produces (injected or
//! simulated) in the order they are produced, independently of the feed
//! rings, so reading a feed never changes it. Tests may also set it directly.

use std::collections::{HashMap, HashSet};

use agora_rtm_rest_protocol::{UserEvent, UserEventKind};

/// The online users of every app id (offline users are not kept).
#[derive(Debug, Default)]
pub(crate) struct Presence {
    online: HashMap<String, HashSet<String>>,
}

impl Presence {
    /// Applies user events in order: the last login or logout of a user wins;
    /// other event types change nothing.
    pub(crate) fn apply(&mut self, app_id: &str, events: &[UserEvent]) {
        for event in events {
            match event.kind {
                UserEventKind::Login => self.set(app_id, &event.user_id, true),
                UserEventKind::Logout => self.set(app_id, &event.user_id, false),
                UserEventKind::Other(_) => {}
            }
        }
    }

    /// Marks a user online or offline.
    pub(crate) fn set(&mut self, app_id: &str, user_id: &str, online: bool) {
        if online {
            self.online
                .entry(app_id.to_owned())
                .or_default()
                .insert(user_id.to_owned());
        } else if let Some(users) = self.online.get_mut(app_id) {
            users.remove(user_id);
            if users.is_empty() {
                self.online.remove(app_id);
            }
        }
    }

    /// True when the user's latest login or logout is a login.
    pub(crate) fn is_online(&self, app_id: &str, user_id: &str) -> bool {
        self.online
            .get(app_id)
            .is_some_and(|users| users.contains(user_id))
    }

    /// The online users of an app id, sorted.
    pub(crate) fn online_users(&self, app_id: &str) -> Vec<String> {
        let mut users: Vec<String> = self
            .online
            .get(app_id)
            .map(|users| users.iter().cloned().collect())
            .unwrap_or_default();
        users.sort();
        users
    }

    /// Forgets everyone.
    pub(crate) fn clear(&mut self) {
        self.online.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(user: &str, kind: UserEventKind) -> UserEvent {
        UserEvent {
            user_id: user.into(),
            kind,
            ms: 1,
        }
    }

    #[test]
    fn last_login_or_logout_wins() {
        let mut p = Presence::default();
        p.apply(
            "app",
            &[
                event("a", UserEventKind::Login),
                event("b", UserEventKind::Login),
                event("a", UserEventKind::Logout),
                event("b", UserEventKind::Other("Kicked".into())),
            ],
        );
        assert!(!p.is_online("app", "a"));
        assert!(p.is_online("app", "b"));
        assert!(!p.is_online("other", "b"));
        p.set("app", "a", true);
        assert_eq!(p.online_users("app"), vec!["a", "b"]);
        p.set("app", "a", false);
        p.set("app", "b", false);
        assert!(p.online.is_empty());
        p.set("app", "c", true);
        p.clear();
        assert!(!p.is_online("app", "c"));
    }
}
