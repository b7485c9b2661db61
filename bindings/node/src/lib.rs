//! Node.js bindings of agora-rtm-rest (placeholder until the Node package lands).
