//! Python bindings of agora-rtm-rest (placeholder until the Python package lands).
