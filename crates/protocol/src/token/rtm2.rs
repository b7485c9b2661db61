//! RTM2 (service type 8) resource-level permissions (SPEC 2.1).
//!
//! Wire form: `u16` count of resource types, each `{ u16 resource_type, u16
//! count of permission types, each { u16 perm_type, u16 n, n x str(resource) } }`,
//! both levels ascending.

use std::collections::BTreeMap;

use super::bytes::{Packer, Reader};
use super::error::TokenError;

/// The kinds of resource an RTM2 permission applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceType {
    /// 0: message channels.
    MessageChannels,
    /// 1: stream channels.
    StreamChannels,
    /// 2: group channels.
    GroupChannels,
    /// 3: server groups.
    ServerGroups,
    /// 4: users.
    Users,
}

impl ResourceType {
    /// Every resource type, in wire order.
    pub const ALL: [ResourceType; 5] = [
        ResourceType::MessageChannels,
        ResourceType::StreamChannels,
        ResourceType::GroupChannels,
        ResourceType::ServerGroups,
        ResourceType::Users,
    ];

    /// The wire number (0..=4).
    pub fn code(self) -> u16 {
        match self {
            ResourceType::MessageChannels => 0,
            ResourceType::StreamChannels => 1,
            ResourceType::GroupChannels => 2,
            ResourceType::ServerGroups => 3,
            ResourceType::Users => 4,
        }
    }

    /// The resource type with this wire number, if it is one of the five.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    /// A snake_case name, e.g. `"message_channels"`.
    pub fn name(self) -> &'static str {
        match self {
            ResourceType::MessageChannels => "message_channels",
            ResourceType::StreamChannels => "stream_channels",
            ResourceType::GroupChannels => "group_channels",
            ResourceType::ServerGroups => "server_groups",
            ResourceType::Users => "users",
        }
    }
}

/// What an RTM2 permission allows on its resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    /// 0: read.
    Read,
    /// 1: write.
    Write,
}

impl Permission {
    /// The wire number (0 or 1).
    pub fn code(self) -> u16 {
        match self {
            Permission::Read => 0,
            Permission::Write => 1,
        }
    }

    /// The permission with this wire number, if it is 0 or 1.
    pub fn from_code(code: u16) -> Option<Self> {
        match code {
            0 => Some(Permission::Read),
            1 => Some(Permission::Write),
            _ => None,
        }
    }

    /// `"read"` or `"write"`.
    pub fn name(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Write => "write",
        }
    }
}

/// RTM2 permissions: resource type -> permission type -> resource names.
///
/// Keys are kept as raw wire numbers so a parsed token with a resource or
/// permission type this crate does not know still round-trips; build them with
/// [`Rtm2Permissions::add`].
///
/// ```
/// use agora_rtm_rest_protocol::token::{Permission, ResourceType, Rtm2Permissions};
/// let mut p = Rtm2Permissions::new();
/// p.add(ResourceType::MessageChannels, Permission::Read, ["lobby", "news"]);
/// assert_eq!(p.resources(ResourceType::MessageChannels, Permission::Read), Some(&["lobby".to_string(), "news".to_string()][..]));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rtm2Permissions {
    details: BTreeMap<u16, BTreeMap<u16, Vec<String>>>,
}

impl Rtm2Permissions {
    /// No permissions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the resources of one (resource type, permission) pair, replacing any
    /// earlier list for that pair (as Agora's builders do).
    pub fn add<I, S>(
        &mut self,
        resource_type: ResourceType,
        permission: Permission,
        resources: I,
    ) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.add_raw(
            resource_type.code(),
            permission.code(),
            resources.into_iter().map(Into::into).collect(),
        );
        self
    }

    /// Like [`Rtm2Permissions::add`] with raw wire numbers.
    pub fn add_raw(
        &mut self,
        resource_type: u16,
        permission: u16,
        resources: Vec<String>,
    ) -> &mut Self {
        self.details
            .entry(resource_type)
            .or_default()
            .insert(permission, resources);
        self
    }

    /// The resources of one (resource type, permission) pair, if set.
    pub fn resources(
        &self,
        resource_type: ResourceType,
        permission: Permission,
    ) -> Option<&[String]> {
        self.details
            .get(&resource_type.code())
            .and_then(|m| m.get(&permission.code()))
            .map(Vec::as_slice)
    }

    /// All entries as raw wire numbers, ascending.
    pub fn details(&self) -> &BTreeMap<u16, BTreeMap<u16, Vec<String>>> {
        &self.details
    }

    /// True when no resource type is listed.
    pub fn is_empty(&self) -> bool {
        self.details.is_empty()
    }

    pub(crate) fn pack(&self, p: &mut Packer) -> Result<(), TokenError> {
        p.count(self.details.len(), "rtm2 resource types")?;
        for (rt, perms) in &self.details {
            p.u16(*rt);
            p.count(perms.len(), "rtm2 permission types")?;
            for (perm, resources) in perms {
                p.u16(*perm);
                p.count(resources.len(), "rtm2 resources")?;
                for r in resources {
                    p.str(r, "rtm2 resource")?;
                }
            }
        }
        Ok(())
    }

    pub(crate) fn unpack(r: &mut Reader<'_>) -> Result<Self, TokenError> {
        let mut out = Self::new();
        let n_types = r.u16("rtm2 permissions")?;
        for _ in 0..n_types {
            let rt = r.u16("rtm2 resource type")?;
            let n_perms = r.u16("rtm2 permissions")?;
            for _ in 0..n_perms {
                let perm = r.u16("rtm2 permission type")?;
                let n = r.u16("rtm2 resources")?;
                let mut resources = Vec::new();
                for _ in 0..n {
                    resources.push(r.string("rtm2 resource")?);
                }
                out.add_raw(rt, perm, resources);
            }
        }
        Ok(out)
    }

    pub(crate) fn to_json(&self) -> serde_json::Value {
        let list: Vec<serde_json::Value> = self
            .details
            .iter()
            .map(|(rt, perms)| {
                let perms: Vec<serde_json::Value> = perms
                    .iter()
                    .map(|(perm, resources)| {
                        serde_json::json!({
                            "permission": perm,
                            "name": Permission::from_code(*perm).map(Permission::name),
                            "resources": resources,
                        })
                    })
                    .collect();
                serde_json::json!({
                    "resource_type": rt,
                    "name": ResourceType::from_code(*rt).map(ResourceType::name),
                    "permissions": perms,
                })
            })
            .collect();
        serde_json::Value::Array(list)
    }
}
