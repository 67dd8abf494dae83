//! Flags for object stores, shared by every command that opens a repository.

use clap::Args;

use crate::backend::{s3::S3Options, Options};

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Object stores")]
pub struct StoreArgs {
    /// Requests in flight at once [default: 1 for a directory, 8 for Swift and S3]
    #[arg(long, env = "CAIRN_CONNECTIONS", global = true, help_heading = "Global options", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub connections: Option<u16>,
    /// Endpoint of an S3-compatible store (MinIO, Ceph RGW, Swift s3api…); the AWS SDK
    /// also reads AWS_ENDPOINT_URL
    #[arg(
        long,
        env = "CAIRN_S3_ENDPOINT",
        global = true,
        help_heading = "Global options",
        value_name = "URL"
    )]
    pub s3_endpoint: Option<String>,
    /// Path-style bucket addressing [default: on when a custom endpoint is set]
    #[arg(
        long,
        env = "CAIRN_S3_PATH_STYLE",
        global = true,
        help_heading = "Global options",
        value_name = "BOOL"
    )]
    pub s3_path_style: Option<bool>,
    /// Storage class for new objects (e.g. STANDARD_IA, GLACIER_IR)
    #[arg(
        long,
        env = "CAIRN_S3_STORAGE_CLASS",
        global = true,
        help_heading = "Global options",
        value_name = "CLASS"
    )]
    pub s3_storage_class: Option<String>,
    /// Server-side encryption: AES256 or aws:kms (on top of cairn's own encryption)
    #[arg(
        long,
        env = "CAIRN_S3_SSE",
        global = true,
        help_heading = "Global options",
        value_name = "MODE"
    )]
    pub s3_sse: Option<String>,
    /// KMS key for --s3-sse aws:kms
    #[arg(
        long,
        env = "CAIRN_S3_SSE_KMS_KEY_ID",
        global = true,
        help_heading = "Global options",
        value_name = "ID"
    )]
    pub s3_sse_kms_key_id: Option<String>,
    /// Use If-None-Match conditional PUTs; `off` for stores that ignore the header
    #[arg(long, env = "CAIRN_S3_CONDITIONAL_PUT", global = true, help_heading = "Global options", value_name = "on|off",
          value_parser = ["on", "off"], default_value = "on")]
    pub s3_conditional_put: String,
    /// Objects at least this large are uploaded in parts (MiB)
    #[arg(long, env = "CAIRN_S3_MULTIPART_MIB", global = true, help_heading = "Global options", value_name = "MIB",
          value_parser = clap::value_parser!(u32).range(5..=5120))]
    pub s3_multipart_mib: Option<u32>,
}

impl StoreArgs {
    pub fn options(&self) -> Options {
        let mut s3 = S3Options {
            endpoint: self.s3_endpoint.clone(),
            path_style: self.s3_path_style,
            storage_class: self.s3_storage_class.clone(),
            sse: self.s3_sse.clone(),
            sse_kms_key_id: self.s3_sse_kms_key_id.clone(),
            conditional_put: self.s3_conditional_put == "on",
            ..S3Options::default()
        };
        if let Some(mib) = self.s3_multipart_mib {
            s3.multipart_threshold = (mib as usize) << 20;
            // Parts of half the threshold keep at least two parts per multipart upload.
            s3.part_size = s3
                .multipart_threshold
                .div_ceil(2)
                .max(crate::backend::s3::MIN_PART);
        }
        Options {
            connections: self.connections.map(usize::from),
            s3,
        }
    }
}
