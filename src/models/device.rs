//! `--device cpu|cuda[:N]|metal`: which candle device runs the model. CUDA and Metal are
//! Cargo features (`cuda`, `metal`) that compile the same decoder for those devices; hfx's
//! own CPU kernels (Q4_1 dot product, threaded matrix-vector product) step aside there and
//! candle's device kernels run instead.

use candle_core::Device;

use super::ModelError;
use super::error::candle_message;

/// A parsed `--device` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceSpec {
    Cpu,
    Cuda(usize),
    Metal,
}

impl std::fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Cpu => f.write_str("cpu"),
            Self::Cuda(n) => write!(f, "cuda:{n}"),
            Self::Metal => f.write_str("metal"),
        }
    }
}

impl DeviceSpec {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cpu" => Some(Self::Cpu),
            "cuda" => Some(Self::Cuda(0)),
            "metal" => Some(Self::Metal),
            other => other.strip_prefix("cuda:").and_then(|n| n.parse().ok()).map(Self::Cuda),
        }
    }

    /// The Cargo feature the device needs.
    fn feature(self) -> Option<&'static str> {
        match self {
            Self::Cpu => None,
            Self::Cuda(_) => Some("cuda"),
            Self::Metal => Some("metal"),
        }
    }

    fn compiled(self) -> bool {
        match self {
            Self::Cpu => true,
            Self::Cuda(_) => cfg!(feature = "cuda"),
            Self::Metal => cfg!(feature = "metal"),
        }
    }

    /// Open the device; a device this build does not include names the feature to enable.
    pub fn open(self) -> Result<Device, ModelError> {
        let name = self.to_string();
        if !self.compiled() {
            return Err(ModelError::DeviceNotBuilt {
                device: name.clone(),
                feature: self.feature().unwrap_or_default(),
            });
        }
        let opened = match self {
            Self::Cpu => Ok(Device::Cpu),
            Self::Cuda(n) => Device::new_cuda(n),
            Self::Metal => Device::new_metal(0),
        };
        opened.map_err(|e| ModelError::Device { device: name.clone(), reason: candle_message(&e) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_missing_features() {
        assert_eq!(DeviceSpec::parse("cpu"), Some(DeviceSpec::Cpu));
        assert_eq!(DeviceSpec::parse("CUDA"), Some(DeviceSpec::Cuda(0)));
        assert_eq!(DeviceSpec::parse("cuda:3"), Some(DeviceSpec::Cuda(3)));
        assert_eq!(DeviceSpec::parse("metal"), Some(DeviceSpec::Metal));
        assert_eq!(DeviceSpec::parse("cuda:x"), None);
        assert_eq!(DeviceSpec::parse("tpu"), None);
        assert!(matches!(DeviceSpec::Cpu.open(), Ok(Device::Cpu)));
        if !cfg!(feature = "cuda") {
            let e = DeviceSpec::Cuda(1).open().unwrap_err();
            assert!(matches!(e, ModelError::DeviceNotBuilt { feature: "cuda", .. }), "{e:?}");
            assert!(crate::report::Hint::hint(&e).unwrap().contains("--features cuda"));
        }
    }
}
