/**
 * @module DICOM UIDs as data: names of SOP classes and transfer syntaxes, what a transfer syntax means
 * for the data set encoding, which toolkit an implementation class UID belongs to, and what using a SOP
 * class as SCU or SCP says about a device. Lookups at the bottom; no protocol logic here.
 *
 * @see DICOM PS3.6 Annex A (Registry of DICOM Unique Identifiers)
 * @see DICOM PS3.4 (Service Class Specifications) for the service each SOP class belongs to
 */
import type { DeviceClass } from '../inventory/device.js';

// The two name tables below were generated from the PS3.6 registry as shipped in Debian bookworm's
// python3-pydicom 2.3.1 (`pydicom/_uid_dict.py`, MIT licence): entries of type "SOP Class", "Meta SOP
// Class", "Application Context Name" and "Transfer Syntax", retired ones suffixed " (Retired)" as
// Wireshark prints them. Regenerate rather than edit by hand.

export const DICOM_TRANSFER_SYNTAX_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.10008.1.2': 'Implicit VR Little Endian',
  '1.2.840.10008.1.2.1': 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.1.98': 'Encapsulated Uncompressed Explicit VR Little Endian',
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian (Retired)',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline (Process 1)',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended (Process 2 and 4)',
  '1.2.840.10008.1.2.4.52': 'JPEG Extended (Process 3 and 5) (Retired)',
  '1.2.840.10008.1.2.4.53': 'JPEG Spectral Selection, Non-Hierarchical (Process 6 and 8) (Retired)',
  '1.2.840.10008.1.2.4.54': 'JPEG Spectral Selection, Non-Hierarchical (Process 7 and 9) (Retired)',
  '1.2.840.10008.1.2.4.55': 'JPEG Full Progression, Non-Hierarchical (Process 10 and 12) (Retired)',
  '1.2.840.10008.1.2.4.56': 'JPEG Full Progression, Non-Hierarchical (Process 11 and 13) (Retired)',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless, Non-Hierarchical (Process 14)',
  '1.2.840.10008.1.2.4.58': 'JPEG Lossless, Non-Hierarchical (Process 15) (Retired)',
  '1.2.840.10008.1.2.4.59': 'JPEG Extended, Hierarchical (Process 16 and 18) (Retired)',
  '1.2.840.10008.1.2.4.60': 'JPEG Extended, Hierarchical (Process 17 and 19) (Retired)',
  '1.2.840.10008.1.2.4.61': 'JPEG Spectral Selection, Hierarchical (Process 20 and 22) (Retired)',
  '1.2.840.10008.1.2.4.62': 'JPEG Spectral Selection, Hierarchical (Process 21 and 23) (Retired)',
  '1.2.840.10008.1.2.4.63': 'JPEG Full Progression, Hierarchical (Process 24 and 26) (Retired)',
  '1.2.840.10008.1.2.4.64': 'JPEG Full Progression, Hierarchical (Process 25 and 27) (Retired)',
  '1.2.840.10008.1.2.4.65': 'JPEG Lossless, Hierarchical (Process 28) (Retired)',
  '1.2.840.10008.1.2.4.66': 'JPEG Lossless, Hierarchical (Process 29) (Retired)',
  '1.2.840.10008.1.2.4.70':
    'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless Image Compression',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Lossy (Near-Lossless) Image Compression',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Image Compression (Lossless Only)',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000 Image Compression',
  '1.2.840.10008.1.2.4.92': 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)',
  '1.2.840.10008.1.2.4.93': 'JPEG 2000 Part 2 Multi-component Image Compression',
  '1.2.840.10008.1.2.4.94': 'JPIP Referenced',
  '1.2.840.10008.1.2.4.95': 'JPIP Referenced Deflate',
  '1.2.840.10008.1.2.4.100': 'MPEG2 Main Profile / Main Level',
  '1.2.840.10008.1.2.4.101': 'MPEG2 Main Profile / High Level',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264 High Profile / Level 4.1',
  '1.2.840.10008.1.2.4.103': 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1',
  '1.2.840.10008.1.2.4.104': 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video',
  '1.2.840.10008.1.2.4.105': 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video',
  '1.2.840.10008.1.2.4.106': 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2',
  '1.2.840.10008.1.2.4.107': 'HEVC/H.265 Main Profile / Level 5.1',
  '1.2.840.10008.1.2.4.108': 'HEVC/H.265 Main 10 Profile / Level 5.1',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
  '1.2.840.10008.1.2.6.1': 'RFC 2557 MIME encapsulation (Retired)',
  '1.2.840.10008.1.2.6.2': 'XML Encoding (Retired)',
  '1.2.840.10008.1.2.7.1': 'SMPTE ST 2110-20 Uncompressed Progressive Active Video',
  '1.2.840.10008.1.2.7.2': 'SMPTE ST 2110-20 Uncompressed Interlaced Active Video',
  '1.2.840.10008.1.2.7.3': 'SMPTE ST 2110-30 PCM Digital Audio',
  '1.2.840.10008.1.20': 'Papyrus 3 Implicit VR Little Endian (Retired)',
};

export const DICOM_SOP_CLASS_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.10008.1.1': 'Verification SOP Class',
  '1.2.840.10008.1.3.10': 'Media Storage Directory Storage',
  '1.2.840.10008.1.9': 'Basic Study Content Notification SOP Class (Retired)',
  '1.2.840.10008.1.20.1': 'Storage Commitment Push Model SOP Class',
  '1.2.840.10008.1.20.2': 'Storage Commitment Pull Model SOP Class (Retired)',
  '1.2.840.10008.1.40': 'Procedural Event Logging SOP Class',
  '1.2.840.10008.1.42': 'Substance Administration Logging SOP Class',
  '1.2.840.10008.3.1.1.1': 'DICOM Application Context Name',
  '1.2.840.10008.3.1.2.1.1': 'Detached Patient Management SOP Class (Retired)',
  '1.2.840.10008.3.1.2.1.4': 'Detached Patient Management Meta SOP Class (Retired)',
  '1.2.840.10008.3.1.2.2.1': 'Detached Visit Management SOP Class (Retired)',
  '1.2.840.10008.3.1.2.3.1': 'Detached Study Management SOP Class (Retired)',
  '1.2.840.10008.3.1.2.3.2': 'Study Component Management SOP Class (Retired)',
  '1.2.840.10008.3.1.2.3.3': 'Modality Performed Procedure Step SOP Class',
  '1.2.840.10008.3.1.2.3.4': 'Modality Performed Procedure Step Retrieve SOP Class',
  '1.2.840.10008.3.1.2.3.5': 'Modality Performed Procedure Step Notification SOP Class',
  '1.2.840.10008.3.1.2.5.1': 'Detached Results Management SOP Class (Retired)',
  '1.2.840.10008.3.1.2.5.4': 'Detached Results Management Meta SOP Class (Retired)',
  '1.2.840.10008.3.1.2.5.5': 'Detached Study Management Meta SOP Class (Retired)',
  '1.2.840.10008.3.1.2.6.1': 'Detached Interpretation Management SOP Class (Retired)',
  '1.2.840.10008.5.1.1.1': 'Basic Film Session SOP Class',
  '1.2.840.10008.5.1.1.2': 'Basic Film Box SOP Class',
  '1.2.840.10008.5.1.1.4': 'Basic Grayscale Image Box SOP Class',
  '1.2.840.10008.5.1.1.4.1': 'Basic Color Image Box SOP Class',
  '1.2.840.10008.5.1.1.4.2': 'Referenced Image Box SOP Class (Retired)',
  '1.2.840.10008.5.1.1.9': 'Basic Grayscale Print Management Meta SOP Class',
  '1.2.840.10008.5.1.1.9.1': 'Referenced Grayscale Print Management Meta SOP Class (Retired)',
  '1.2.840.10008.5.1.1.14': 'Print Job SOP Class',
  '1.2.840.10008.5.1.1.15': 'Basic Annotation Box SOP Class',
  '1.2.840.10008.5.1.1.16': 'Printer SOP Class',
  '1.2.840.10008.5.1.1.16.376': 'Printer Configuration Retrieval SOP Class',
  '1.2.840.10008.5.1.1.18': 'Basic Color Print Management Meta SOP Class',
  '1.2.840.10008.5.1.1.18.1': 'Referenced Color Print Management Meta SOP Class (Retired)',
  '1.2.840.10008.5.1.1.22': 'VOI LUT Box SOP Class',
  '1.2.840.10008.5.1.1.23': 'Presentation LUT SOP Class',
  '1.2.840.10008.5.1.1.24': 'Image Overlay Box SOP Class (Retired)',
  '1.2.840.10008.5.1.1.24.1': 'Basic Print Image Overlay Box SOP Class (Retired)',
  '1.2.840.10008.5.1.1.26': 'Print Queue Management SOP Class (Retired)',
  '1.2.840.10008.5.1.1.27': 'Stored Print Storage SOP Class (Retired)',
  '1.2.840.10008.5.1.1.29': 'Hardcopy Grayscale Image Storage SOP Class (Retired)',
  '1.2.840.10008.5.1.1.30': 'Hardcopy Color Image Storage SOP Class (Retired)',
  '1.2.840.10008.5.1.1.31': 'Pull Print Request SOP Class (Retired)',
  '1.2.840.10008.5.1.1.32': 'Pull Stored Print Management Meta SOP Class (Retired)',
  '1.2.840.10008.5.1.1.33': 'Media Creation Management SOP Class UID',
  '1.2.840.10008.5.1.1.40': 'Display System SOP Class',
  '1.2.840.10008.5.1.4.1.1.1': 'Computed Radiography Image Storage',
  '1.2.840.10008.5.1.4.1.1.1.1': 'Digital X-Ray Image Storage - For Presentation',
  '1.2.840.10008.5.1.4.1.1.1.1.1': 'Digital X-Ray Image Storage - For Processing',
  '1.2.840.10008.5.1.4.1.1.1.2': 'Digital Mammography X-Ray Image Storage - For Presentation',
  '1.2.840.10008.5.1.4.1.1.1.2.1': 'Digital Mammography X-Ray Image Storage - For Processing',
  '1.2.840.10008.5.1.4.1.1.1.3': 'Digital Intra-Oral X-Ray Image Storage - For Presentation',
  '1.2.840.10008.5.1.4.1.1.1.3.1': 'Digital Intra-Oral X-Ray Image Storage - For Processing',
  '1.2.840.10008.5.1.4.1.1.2': 'CT Image Storage',
  '1.2.840.10008.5.1.4.1.1.2.1': 'Enhanced CT Image Storage',
  '1.2.840.10008.5.1.4.1.1.2.2': 'Legacy Converted Enhanced CT Image Storage',
  '1.2.840.10008.5.1.4.1.1.3': 'Ultrasound Multi-frame Image Storage (Retired)',
  '1.2.840.10008.5.1.4.1.1.3.1': 'Ultrasound Multi-frame Image Storage',
  '1.2.840.10008.5.1.4.1.1.4': 'MR Image Storage',
  '1.2.840.10008.5.1.4.1.1.4.1': 'Enhanced MR Image Storage',
  '1.2.840.10008.5.1.4.1.1.4.2': 'MR Spectroscopy Storage',
  '1.2.840.10008.5.1.4.1.1.4.3': 'Enhanced MR Color Image Storage',
  '1.2.840.10008.5.1.4.1.1.4.4': 'Legacy Converted Enhanced MR Image Storage',
  '1.2.840.10008.5.1.4.1.1.5': 'Nuclear Medicine Image Storage (Retired)',
  '1.2.840.10008.5.1.4.1.1.6': 'Ultrasound Image Storage (Retired)',
  '1.2.840.10008.5.1.4.1.1.6.1': 'Ultrasound Image Storage',
  '1.2.840.10008.5.1.4.1.1.6.2': 'Enhanced US Volume Storage',
  '1.2.840.10008.5.1.4.1.1.7': 'Secondary Capture Image Storage',
  '1.2.840.10008.5.1.4.1.1.7.1': 'Multi-frame Single Bit Secondary Capture Image Storage',
  '1.2.840.10008.5.1.4.1.1.7.2': 'Multi-frame Grayscale Byte Secondary Capture Image Storage',
  '1.2.840.10008.5.1.4.1.1.7.3': 'Multi-frame Grayscale Word Secondary Capture Image Storage',
  '1.2.840.10008.5.1.4.1.1.7.4': 'Multi-frame True Color Secondary Capture Image Storage',
  '1.2.840.10008.5.1.4.1.1.8': 'Standalone Overlay Storage (Retired)',
  '1.2.840.10008.5.1.4.1.1.9': 'Standalone Curve Storage (Retired)',
  '1.2.840.10008.5.1.4.1.1.9.1': 'Waveform Storage - Trial (Retired)',
  '1.2.840.10008.5.1.4.1.1.9.1.1': '12-lead ECG Waveform Storage',
  '1.2.840.10008.5.1.4.1.1.9.1.2': 'General ECG Waveform Storage',
  '1.2.840.10008.5.1.4.1.1.9.1.3': 'Ambulatory ECG Waveform Storage',
  '1.2.840.10008.5.1.4.1.1.9.2.1': 'Hemodynamic Waveform Storage',
  '1.2.840.10008.5.1.4.1.1.9.3.1': 'Cardiac Electrophysiology Waveform Storage',
  '1.2.840.10008.5.1.4.1.1.9.4.1': 'Basic Voice Audio Waveform Storage',
  '1.2.840.10008.5.1.4.1.1.9.4.2': 'General Audio Waveform Storage',
  '1.2.840.10008.5.1.4.1.1.9.5.1': 'Arterial Pulse Waveform Storage',
  '1.2.840.10008.5.1.4.1.1.9.6.1': 'Respiratory Waveform Storage',
  '1.2.840.10008.5.1.4.1.1.9.6.2': 'Multi-channel Respiratory Waveform Storage',
  '1.2.840.10008.5.1.4.1.1.9.7.1': 'Routine Scalp Electroencephalogram Waveform Storage',
  '1.2.840.10008.5.1.4.1.1.9.7.2': 'Electromyogram Waveform Storage',
  '1.2.840.10008.5.1.4.1.1.9.7.3': 'Electrooculogram Waveform Storage',
  '1.2.840.10008.5.1.4.1.1.9.7.4': 'Sleep Electroencephalogram Waveform Storage',
  '1.2.840.10008.5.1.4.1.1.9.8.1': 'Body Position Waveform Storage',
  '1.2.840.10008.5.1.4.1.1.10': 'Standalone Modality LUT Storage (Retired)',
  '1.2.840.10008.5.1.4.1.1.11': 'Standalone VOI LUT Storage (Retired)',
  '1.2.840.10008.5.1.4.1.1.11.1': 'Grayscale Softcopy Presentation State Storage',
  '1.2.840.10008.5.1.4.1.1.11.2': 'Color Softcopy Presentation State Storage',
  '1.2.840.10008.5.1.4.1.1.11.3': 'Pseudo-Color Softcopy Presentation State Storage',
  '1.2.840.10008.5.1.4.1.1.11.4': 'Blending Softcopy Presentation State Storage',
  '1.2.840.10008.5.1.4.1.1.11.5': 'XA/XRF Grayscale Softcopy Presentation State Storage',
  '1.2.840.10008.5.1.4.1.1.11.6': 'Grayscale Planar MPR Volumetric Presentation State Storage',
  '1.2.840.10008.5.1.4.1.1.11.7': 'Compositing Planar MPR Volumetric Presentation State Storage',
  '1.2.840.10008.5.1.4.1.1.11.8': 'Advanced Blending Presentation State Storage',
  '1.2.840.10008.5.1.4.1.1.11.9': 'Volume Rendering Volumetric Presentation State Storage',
  '1.2.840.10008.5.1.4.1.1.11.10': 'Segmented Volume Rendering Volumetric Presentation State Storage',
  '1.2.840.10008.5.1.4.1.1.11.11': 'Multiple Volume Rendering Volumetric Presentation State Storage',
  '1.2.840.10008.5.1.4.1.1.12.1': 'X-Ray Angiographic Image Storage',
  '1.2.840.10008.5.1.4.1.1.12.1.1': 'Enhanced XA Image Storage',
  '1.2.840.10008.5.1.4.1.1.12.2': 'X-Ray Radiofluoroscopic Image Storage',
  '1.2.840.10008.5.1.4.1.1.12.2.1': 'Enhanced XRF Image Storage',
  '1.2.840.10008.5.1.4.1.1.12.3': 'X-Ray Angiographic Bi-Plane Image Storage (Retired)',
  '1.2.840.10008.5.1.4.1.1.12.77': ' (Retired)',
  '1.2.840.10008.5.1.4.1.1.13.1.1': 'X-Ray 3D Angiographic Image Storage',
  '1.2.840.10008.5.1.4.1.1.13.1.2': 'X-Ray 3D Craniofacial Image Storage',
  '1.2.840.10008.5.1.4.1.1.13.1.3': 'Breast Tomosynthesis Image Storage',
  '1.2.840.10008.5.1.4.1.1.13.1.4': 'Breast Projection X-Ray Image Storage - For Presentation',
  '1.2.840.10008.5.1.4.1.1.13.1.5': 'Breast Projection X-Ray Image Storage - For Processing',
  '1.2.840.10008.5.1.4.1.1.14.1':
    'Intravascular Optical Coherence Tomography Image Storage - For Presentation',
  '1.2.840.10008.5.1.4.1.1.14.2': 'Intravascular Optical Coherence Tomography Image Storage - For Processing',
  '1.2.840.10008.5.1.4.1.1.20': 'Nuclear Medicine Image Storage',
  '1.2.840.10008.5.1.4.1.1.30': 'Parametric Map Storage',
  '1.2.840.10008.5.1.4.1.1.40': ' (Retired)',
  '1.2.840.10008.5.1.4.1.1.66': 'Raw Data Storage',
  '1.2.840.10008.5.1.4.1.1.66.1': 'Spatial Registration Storage',
  '1.2.840.10008.5.1.4.1.1.66.2': 'Spatial Fiducials Storage',
  '1.2.840.10008.5.1.4.1.1.66.3': 'Deformable Spatial Registration Storage',
  '1.2.840.10008.5.1.4.1.1.66.4': 'Segmentation Storage',
  '1.2.840.10008.5.1.4.1.1.66.5': 'Surface Segmentation Storage',
  '1.2.840.10008.5.1.4.1.1.66.6': 'Tractography Results Storage',
  '1.2.840.10008.5.1.4.1.1.67': 'Real World Value Mapping Storage',
  '1.2.840.10008.5.1.4.1.1.68.1': 'Surface Scan Mesh Storage',
  '1.2.840.10008.5.1.4.1.1.68.2': 'Surface Scan Point Cloud Storage',
  '1.2.840.10008.5.1.4.1.1.77.1': 'VL Image Storage - Trial (Retired)',
  '1.2.840.10008.5.1.4.1.1.77.1.1': 'VL Endoscopic Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.1.1': 'Video Endoscopic Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.2': 'VL Microscopic Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.2.1': 'Video Microscopic Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.3': 'VL Slide-Coordinates Microscopic Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.4': 'VL Photographic Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.4.1': 'Video Photographic Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.5.1': 'Ophthalmic Photography 8 Bit Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.5.2': 'Ophthalmic Photography 16 Bit Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.5.3': 'Stereometric Relationship Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.5.4': 'Ophthalmic Tomography Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.5.5':
    'Wide Field Ophthalmic Photography Stereographic Projection Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.5.6': 'Wide Field Ophthalmic Photography 3D Coordinates Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.5.7': 'Ophthalmic Optical Coherence Tomography En Face Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.5.8':
    'Ophthalmic Optical Coherence Tomography B-scan Volume Analysis Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.6': 'VL Whole Slide Microscopy Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.7': 'Dermoscopic Photography Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.2': 'VL Multi-frame Image Storage - Trial (Retired)',
  '1.2.840.10008.5.1.4.1.1.78.1': 'Lensometry Measurements Storage',
  '1.2.840.10008.5.1.4.1.1.78.2': 'Autorefraction Measurements Storage',
  '1.2.840.10008.5.1.4.1.1.78.3': 'Keratometry Measurements Storage',
  '1.2.840.10008.5.1.4.1.1.78.4': 'Subjective Refraction Measurements Storage',
  '1.2.840.10008.5.1.4.1.1.78.5': 'Visual Acuity Measurements Storage',
  '1.2.840.10008.5.1.4.1.1.78.6': 'Spectacle Prescription Report Storage',
  '1.2.840.10008.5.1.4.1.1.78.7': 'Ophthalmic Axial Measurements Storage',
  '1.2.840.10008.5.1.4.1.1.78.8': 'Intraocular Lens Calculations Storage',
  '1.2.840.10008.5.1.4.1.1.79.1': 'Macular Grid Thickness and Volume Report Storage',
  '1.2.840.10008.5.1.4.1.1.80.1': 'Ophthalmic Visual Field Static Perimetry Measurements Storage',
  '1.2.840.10008.5.1.4.1.1.81.1': 'Ophthalmic Thickness Map Storage',
  '1.2.840.10008.5.1.4.1.1.82.1': 'Corneal Topography Map Storage',
  '1.2.840.10008.5.1.4.1.1.88.1': 'Text SR Storage - Trial (Retired)',
  '1.2.840.10008.5.1.4.1.1.88.2': 'Audio SR Storage - Trial (Retired)',
  '1.2.840.10008.5.1.4.1.1.88.3': 'Detail SR Storage - Trial (Retired)',
  '1.2.840.10008.5.1.4.1.1.88.4': 'Comprehensive SR Storage - Trial (Retired)',
  '1.2.840.10008.5.1.4.1.1.88.11': 'Basic Text SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.22': 'Enhanced SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.33': 'Comprehensive SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.34': 'Comprehensive 3D SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.35': 'Extensible SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.40': 'Procedure Log Storage',
  '1.2.840.10008.5.1.4.1.1.88.50': 'Mammography CAD SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.59': 'Key Object Selection Document Storage',
  '1.2.840.10008.5.1.4.1.1.88.65': 'Chest CAD SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.67': 'X-Ray Radiation Dose SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.68': 'Radiopharmaceutical Radiation Dose SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.69': 'Colon CAD SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.70': 'Implantation Plan SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.71': 'Acquisition Context SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.72': 'Simplified Adult Echo SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.73': 'Patient Radiation Dose SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.74': 'Planned Imaging Agent Administration SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.75': 'Performed Imaging Agent Administration SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.76': 'Enhanced X-Ray Radiation Dose SR Storage',
  '1.2.840.10008.5.1.4.1.1.90.1': 'Content Assessment Results Storage',
  '1.2.840.10008.5.1.4.1.1.91.1': 'Microscopy Bulk Simple Annotations Storage',
  '1.2.840.10008.5.1.4.1.1.104.1': 'Encapsulated PDF Storage',
  '1.2.840.10008.5.1.4.1.1.104.2': 'Encapsulated CDA Storage',
  '1.2.840.10008.5.1.4.1.1.104.3': 'Encapsulated STL Storage',
  '1.2.840.10008.5.1.4.1.1.104.4': 'Encapsulated OBJ Storage',
  '1.2.840.10008.5.1.4.1.1.104.5': 'Encapsulated MTL Storage',
  '1.2.840.10008.5.1.4.1.1.128': 'Positron Emission Tomography Image Storage',
  '1.2.840.10008.5.1.4.1.1.128.1': 'Legacy Converted Enhanced PET Image Storage',
  '1.2.840.10008.5.1.4.1.1.129': 'Standalone PET Curve Storage (Retired)',
  '1.2.840.10008.5.1.4.1.1.130': 'Enhanced PET Image Storage',
  '1.2.840.10008.5.1.4.1.1.131': 'Basic Structured Display Storage',
  '1.2.840.10008.5.1.4.1.1.200.1': 'CT Defined Procedure Protocol Storage',
  '1.2.840.10008.5.1.4.1.1.200.2': 'CT Performed Procedure Protocol Storage',
  '1.2.840.10008.5.1.4.1.1.200.3': 'Protocol Approval Storage',
  '1.2.840.10008.5.1.4.1.1.200.4': 'Protocol Approval Information Model - FIND',
  '1.2.840.10008.5.1.4.1.1.200.5': 'Protocol Approval Information Model - MOVE',
  '1.2.840.10008.5.1.4.1.1.200.6': 'Protocol Approval Information Model - GET',
  '1.2.840.10008.5.1.4.1.1.200.7': 'XA Defined Procedure Protocol Storage',
  '1.2.840.10008.5.1.4.1.1.200.8': 'XA Performed Procedure Protocol Storage',
  '1.2.840.10008.5.1.4.1.1.481.1': 'RT Image Storage',
  '1.2.840.10008.5.1.4.1.1.481.2': 'RT Dose Storage',
  '1.2.840.10008.5.1.4.1.1.481.3': 'RT Structure Set Storage',
  '1.2.840.10008.5.1.4.1.1.481.4': 'RT Beams Treatment Record Storage',
  '1.2.840.10008.5.1.4.1.1.481.5': 'RT Plan Storage',
  '1.2.840.10008.5.1.4.1.1.481.6': 'RT Brachy Treatment Record Storage',
  '1.2.840.10008.5.1.4.1.1.481.7': 'RT Treatment Summary Record Storage',
  '1.2.840.10008.5.1.4.1.1.481.8': 'RT Ion Plan Storage',
  '1.2.840.10008.5.1.4.1.1.481.9': 'RT Ion Beams Treatment Record Storage',
  '1.2.840.10008.5.1.4.1.1.481.10': 'RT Physician Intent Storage',
  '1.2.840.10008.5.1.4.1.1.481.11': 'RT Segment Annotation Storage',
  '1.2.840.10008.5.1.4.1.1.481.12': 'RT Radiation Set Storage',
  '1.2.840.10008.5.1.4.1.1.481.13': 'C-Arm Photon-Electron Radiation Storage',
  '1.2.840.10008.5.1.4.1.1.481.14': 'Tomotherapeutic Radiation Storage',
  '1.2.840.10008.5.1.4.1.1.481.15': 'Robotic-Arm Radiation Storage',
  '1.2.840.10008.5.1.4.1.1.481.16': 'RT Radiation Record Set Storage',
  '1.2.840.10008.5.1.4.1.1.481.17': 'RT Radiation Salvage Record Storage',
  '1.2.840.10008.5.1.4.1.1.481.18': 'Tomotherapeutic Radiation Record Storage',
  '1.2.840.10008.5.1.4.1.1.481.19': 'C-Arm Photon-Electron Radiation Record Storage',
  '1.2.840.10008.5.1.4.1.1.481.20': 'Robotic Radiation Record Storage',
  '1.2.840.10008.5.1.4.1.1.481.21': 'RT Radiation Set Delivery Instruction Storage',
  '1.2.840.10008.5.1.4.1.1.481.22': 'RT Treatment Preparation Storage',
  '1.2.840.10008.5.1.4.1.1.501.1': 'DICOS CT Image Storage',
  '1.2.840.10008.5.1.4.1.1.501.2.1': 'DICOS Digital X-Ray Image Storage - For Presentation',
  '1.2.840.10008.5.1.4.1.1.501.2.2': 'DICOS Digital X-Ray Image Storage - For Processing',
  '1.2.840.10008.5.1.4.1.1.501.3': 'DICOS Threat Detection Report Storage',
  '1.2.840.10008.5.1.4.1.1.501.4': 'DICOS 2D AIT Storage',
  '1.2.840.10008.5.1.4.1.1.501.5': 'DICOS 3D AIT Storage',
  '1.2.840.10008.5.1.4.1.1.501.6': 'DICOS Quadrupole Resonance (QR) Storage',
  '1.2.840.10008.5.1.4.1.1.601.1': 'Eddy Current Image Storage',
  '1.2.840.10008.5.1.4.1.1.601.2': 'Eddy Current Multi-frame Image Storage',
  '1.2.840.10008.5.1.4.1.2.1.1': 'Patient Root Query/Retrieve Information Model - FIND',
  '1.2.840.10008.5.1.4.1.2.1.2': 'Patient Root Query/Retrieve Information Model - MOVE',
  '1.2.840.10008.5.1.4.1.2.1.3': 'Patient Root Query/Retrieve Information Model - GET',
  '1.2.840.10008.5.1.4.1.2.2.1': 'Study Root Query/Retrieve Information Model - FIND',
  '1.2.840.10008.5.1.4.1.2.2.2': 'Study Root Query/Retrieve Information Model - MOVE',
  '1.2.840.10008.5.1.4.1.2.2.3': 'Study Root Query/Retrieve Information Model - GET',
  '1.2.840.10008.5.1.4.1.2.3.1': 'Patient/Study Only Query/Retrieve Information Model - FIND (Retired)',
  '1.2.840.10008.5.1.4.1.2.3.2': 'Patient/Study Only Query/Retrieve Information Model - MOVE (Retired)',
  '1.2.840.10008.5.1.4.1.2.3.3': 'Patient/Study Only Query/Retrieve Information Model - GET (Retired)',
  '1.2.840.10008.5.1.4.1.2.4.2': 'Composite Instance Root Retrieve - MOVE',
  '1.2.840.10008.5.1.4.1.2.4.3': 'Composite Instance Root Retrieve - GET',
  '1.2.840.10008.5.1.4.1.2.5.3': 'Composite Instance Retrieve Without Bulk Data - GET',
  '1.2.840.10008.5.1.4.20.1': 'Defined Procedure Protocol Information Model - FIND',
  '1.2.840.10008.5.1.4.20.2': 'Defined Procedure Protocol Information Model - MOVE',
  '1.2.840.10008.5.1.4.20.3': 'Defined Procedure Protocol Information Model - GET',
  '1.2.840.10008.5.1.4.31': 'Modality Worklist Information Model - FIND',
  '1.2.840.10008.5.1.4.32': 'General Purpose Worklist Management Meta SOP Class (Retired)',
  '1.2.840.10008.5.1.4.32.1': 'General Purpose Worklist Information Model - FIND (Retired)',
  '1.2.840.10008.5.1.4.32.2': 'General Purpose Scheduled Procedure Step SOP Class (Retired)',
  '1.2.840.10008.5.1.4.32.3': 'General Purpose Performed Procedure Step SOP Class (Retired)',
  '1.2.840.10008.5.1.4.33': 'Instance Availability Notification SOP Class',
  '1.2.840.10008.5.1.4.34.1': 'RT Beams Delivery Instruction Storage - Trial (Retired)',
  '1.2.840.10008.5.1.4.34.2': 'RT Conventional Machine Verification - Trial (Retired)',
  '1.2.840.10008.5.1.4.34.3': 'RT Ion Machine Verification - Trial (Retired)',
  '1.2.840.10008.5.1.4.34.4.1': 'Unified Procedure Step - Push SOP Class - Trial (Retired)',
  '1.2.840.10008.5.1.4.34.4.2': 'Unified Procedure Step - Watch SOP Class - Trial (Retired)',
  '1.2.840.10008.5.1.4.34.4.3': 'Unified Procedure Step - Pull SOP Class - Trial (Retired)',
  '1.2.840.10008.5.1.4.34.4.4': 'Unified Procedure Step - Event SOP Class - Trial (Retired)',
  '1.2.840.10008.5.1.4.34.6.1': 'Unified Procedure Step - Push SOP Class',
  '1.2.840.10008.5.1.4.34.6.2': 'Unified Procedure Step - Watch SOP Class',
  '1.2.840.10008.5.1.4.34.6.3': 'Unified Procedure Step - Pull SOP Class',
  '1.2.840.10008.5.1.4.34.6.4': 'Unified Procedure Step - Event SOP Class',
  '1.2.840.10008.5.1.4.34.6.5': 'Unified Procedure Step - Query SOP Class',
  '1.2.840.10008.5.1.4.34.7': 'RT Beams Delivery Instruction Storage',
  '1.2.840.10008.5.1.4.34.8': 'RT Conventional Machine Verification',
  '1.2.840.10008.5.1.4.34.9': 'RT Ion Machine Verification',
  '1.2.840.10008.5.1.4.34.10': 'RT Brachy Application Setup Delivery Instruction Storage',
  '1.2.840.10008.5.1.4.37.1': 'General Relevant Patient Information Query',
  '1.2.840.10008.5.1.4.37.2': 'Breast Imaging Relevant Patient Information Query',
  '1.2.840.10008.5.1.4.37.3': 'Cardiac Relevant Patient Information Query',
  '1.2.840.10008.5.1.4.38.1': 'Hanging Protocol Storage',
  '1.2.840.10008.5.1.4.38.2': 'Hanging Protocol Information Model - FIND',
  '1.2.840.10008.5.1.4.38.3': 'Hanging Protocol Information Model - MOVE',
  '1.2.840.10008.5.1.4.38.4': 'Hanging Protocol Information Model - GET',
  '1.2.840.10008.5.1.4.39.1': 'Color Palette Storage',
  '1.2.840.10008.5.1.4.39.2': 'Color Palette Query/Retrieve Information Model - FIND',
  '1.2.840.10008.5.1.4.39.3': 'Color Palette Query/Retrieve Information Model - MOVE',
  '1.2.840.10008.5.1.4.39.4': 'Color Palette Query/Retrieve Information Model - GET',
  '1.2.840.10008.5.1.4.41': 'Product Characteristics Query SOP Class',
  '1.2.840.10008.5.1.4.42': 'Substance Approval Query SOP Class',
  '1.2.840.10008.5.1.4.43.1': 'Generic Implant Template Storage',
  '1.2.840.10008.5.1.4.43.2': 'Generic Implant Template Information Model - FIND',
  '1.2.840.10008.5.1.4.43.3': 'Generic Implant Template Information Model - MOVE',
  '1.2.840.10008.5.1.4.43.4': 'Generic Implant Template Information Model - GET',
  '1.2.840.10008.5.1.4.44.1': 'Implant Assembly Template Storage',
  '1.2.840.10008.5.1.4.44.2': 'Implant Assembly Template Information Model - FIND',
  '1.2.840.10008.5.1.4.44.3': 'Implant Assembly Template Information Model - MOVE',
  '1.2.840.10008.5.1.4.44.4': 'Implant Assembly Template Information Model - GET',
  '1.2.840.10008.5.1.4.45.1': 'Implant Template Group Storage',
  '1.2.840.10008.5.1.4.45.2': 'Implant Template Group Information Model - FIND',
  '1.2.840.10008.5.1.4.45.3': 'Implant Template Group Information Model - MOVE',
  '1.2.840.10008.5.1.4.45.4': 'Implant Template Group Information Model - GET',
  '1.2.840.10008.10.1': 'Video Endoscopic Image Real-Time Communication',
  '1.2.840.10008.10.2': 'Video Photographic Image Real-Time Communication',
  '1.2.840.10008.10.3': 'Audio Waveform Real-Time Communication',
  '1.2.840.10008.10.4': 'Rendition Selection Document Real-Time Communication',
};

/** How a data set sent under a transfer syntax is encoded, as far as the data-set scanner cares. */
export type DicomEncoding = 'implicit-le' | 'explicit-le' | 'explicit-be' | 'deflated' | 'not-a-dataset';

/**
 * Transfer syntaxes whose data set is not explicit VR little endian. Every other transfer syntax under
 * 1.2.840.10008.1.2 (JPEG, JPEG-LS, JPEG 2000, RLE, MPEG, HEVC …) encodes the data set as explicit VR
 * little endian with encapsulated pixel data (PS3.5 §A.4).
 * @see DICOM PS3.5 Annex A (Transfer Syntax Specifications)
 */
export const DICOM_TRANSFER_SYNTAX_ENCODINGS: Readonly<Record<string, DicomEncoding>> = {
  '1.2.840.10008.1.2': 'implicit-le',
  '1.2.840.10008.1.2.1': 'explicit-le',
  '1.2.840.10008.1.2.1.99': 'deflated',
  '1.2.840.10008.1.2.2': 'explicit-be',
  '1.2.840.10008.1.2.4.95': 'deflated', // JPIP Referenced Deflate
  '1.2.840.10008.1.2.6.1': 'not-a-dataset', // RFC 2557 MIME encapsulation
  '1.2.840.10008.1.2.6.2': 'not-a-dataset', // XML encoding
};

/**
 * Implementation class UID roots of DICOM toolkits: an A-ASSOCIATE's implementation class UID that
 * starts with `root` was built with `stack`. Longest matching root wins. Each root is what the
 * toolkit's own source or conformance statement uses (the comment says where).
 */
export const DICOM_IMPLEMENTATION_ROOTS: readonly { root: string; stack: string }[] = [
  // dcmtk dcmdata/include/dcmtk/dcmdata/dcuid.h: OFFIS_UID_ROOT ".0." version; also used by Orthanc
  { root: '1.2.276.0.7230010.3', stack: 'dcmtk' },
  // pynetdicom/__init__.py: PYNETDICOM_UID_PREFIX + version
  { root: '1.2.826.0.1.3680043.9.3811', stack: 'pynetdicom' },
  // pydicom/uid.py: PYDICOM_IMPLEMENTATION_UID
  { root: '1.2.826.0.1.3680043.8.498.1', stack: 'pydicom' },
  // fo-dicom DicomImplementation.cs ClassUID
  { root: '1.3.6.1.4.1.30071.8', stack: 'fo-dicom' },
  // dcm4che 3.x / 5.x Implementation.getClassUID(); dcm4che 2.x used .1
  { root: '1.2.40.0.13.1.3', stack: 'dcm4che' },
  { root: '1.2.40.0.13.1.1', stack: 'dcm4che2' },
  // GDCM gdcmFileMetaInformation.cxx: "1.2.826.0.1.3680043.2.1143.107.104.103.115." version
  { root: '1.2.826.0.1.3680043.2.1143.107.104.103.115', stack: 'gdcm' },
];

/** The DICOM service a SOP class belongs to. */
export type DicomService =
  | 'verification'
  | 'storage'
  | 'storage-commitment'
  | 'query-retrieve'
  | 'worklist'
  | 'procedure-step'
  | 'print'
  | 'instance-availability'
  | 'other';

/** What an application entity is, judged from the services it uses or offers. */
export type DicomRole = 'modality' | 'pacs' | 'ris' | 'workstation' | 'printer';

/** What using a SOP class in one role suggests about the device. */
export interface DicomRoleImplication {
  role: DicomRole;
  deviceClass?: DeviceClass;
  /** How much this alone says: dcmtk's storescu proposes every storage class, so negotiation is weak. */
  confidence: 'low' | 'medium' | 'high';
}

/** Exact SOP class UIDs with a service of their own (PS3.4). */
export const DICOM_SERVICE_BY_UID: Readonly<Record<string, DicomService>> = {
  '1.2.840.10008.1.1': 'verification',
  '1.2.840.10008.1.20.1': 'storage-commitment', // Storage Commitment Push Model
  '1.2.840.10008.5.1.4.31': 'worklist', // Modality Worklist Information Model - FIND
  '1.2.840.10008.3.1.2.3.3': 'procedure-step', // Modality Performed Procedure Step
  '1.2.840.10008.3.1.2.3.4': 'procedure-step',
  '1.2.840.10008.3.1.2.3.5': 'procedure-step',
  '1.2.840.10008.5.1.4.33': 'instance-availability',
  '1.2.840.10008.5.1.1.40': 'other', // Display System, under the print prefix but not printing
};

/** SOP class UID prefixes of whole services (checked after DICOM_SERVICE_BY_UID). */
export const DICOM_SERVICE_PREFIXES: readonly { prefix: string; service: DicomService }[] = [
  { prefix: '1.2.840.10008.5.1.4.1.1.', service: 'storage' }, // PS3.4 Annex B
  { prefix: '1.2.840.10008.5.1.4.1.2.', service: 'query-retrieve' }, // PS3.4 Annex C
  { prefix: '1.2.840.10008.5.1.4.34.6.', service: 'procedure-step' }, // Unified Procedure Step
  { prefix: '1.2.840.10008.5.1.1.', service: 'print' }, // PS3.4 Annex H
];

/**
 * What acting as SCU or SCP of a service suggests. Verification says nothing (every node answers
 * C-ECHO). Storage SCU alone does not make a modality: the storage class must be one a modality
 * produces (DICOM_STORAGE_PRODUCERS); a workstation sending reports is not a scanner.
 */
export const DICOM_SERVICE_ROLES: Readonly<
  Record<DicomService, { scu?: DicomRoleImplication; scp?: DicomRoleImplication }>
> = {
  verification: {},
  storage: { scp: { role: 'pacs', deviceClass: 'pacs', confidence: 'medium' } },
  'storage-commitment': {
    scu: { role: 'modality', confidence: 'medium' },
    scp: { role: 'pacs', deviceClass: 'pacs', confidence: 'high' },
  },
  'query-retrieve': {
    scu: { role: 'workstation', deviceClass: 'medical-workstation', confidence: 'medium' },
    scp: { role: 'pacs', deviceClass: 'pacs', confidence: 'high' },
  },
  worklist: { scu: { role: 'modality', confidence: 'high' }, scp: { role: 'ris', confidence: 'high' } },
  'procedure-step': {
    scu: { role: 'modality', confidence: 'medium' },
    scp: { role: 'ris', confidence: 'medium' },
  },
  print: { scu: { role: 'modality', confidence: 'medium' }, scp: { role: 'printer', confidence: 'high' } },
  'instance-availability': { scu: { role: 'pacs', deviceClass: 'pacs', confidence: 'medium' } },
  other: {},
};

/**
 * Storage SOP classes that acquisition devices produce, and the device class of a device that sends
 * them as storage SCU (CT Image Storage sent by the association requestor → a CT scanner).
 */
export const DICOM_STORAGE_PRODUCERS: Readonly<Record<string, DeviceClass>> = {
  '1.2.840.10008.5.1.4.1.1.1': 'imaging-xr', // Computed Radiography
  '1.2.840.10008.5.1.4.1.1.1.1': 'imaging-xr', // Digital X-Ray - For Presentation
  '1.2.840.10008.5.1.4.1.1.1.1.1': 'imaging-xr', // Digital X-Ray - For Processing
  '1.2.840.10008.5.1.4.1.1.1.2': 'imaging-xr', // Digital Mammography - For Presentation
  '1.2.840.10008.5.1.4.1.1.1.2.1': 'imaging-xr', // Digital Mammography - For Processing
  '1.2.840.10008.5.1.4.1.1.1.3': 'imaging-xr', // Digital Intra-Oral X-Ray - For Presentation
  '1.2.840.10008.5.1.4.1.1.1.3.1': 'imaging-xr', // Digital Intra-Oral X-Ray - For Processing
  '1.2.840.10008.5.1.4.1.1.2': 'imaging-ct', // CT Image
  '1.2.840.10008.5.1.4.1.1.2.1': 'imaging-ct', // Enhanced CT Image
  '1.2.840.10008.5.1.4.1.1.2.2': 'imaging-ct', // Legacy Converted Enhanced CT Image
  '1.2.840.10008.5.1.4.1.1.3.1': 'imaging-us', // Ultrasound Multi-frame Image
  '1.2.840.10008.5.1.4.1.1.4': 'imaging-mr', // MR Image
  '1.2.840.10008.5.1.4.1.1.4.1': 'imaging-mr', // Enhanced MR Image
  '1.2.840.10008.5.1.4.1.1.4.2': 'imaging-mr', // MR Spectroscopy
  '1.2.840.10008.5.1.4.1.1.4.3': 'imaging-mr', // Enhanced MR Color Image
  '1.2.840.10008.5.1.4.1.1.4.4': 'imaging-mr', // Legacy Converted Enhanced MR Image
  '1.2.840.10008.5.1.4.1.1.6.1': 'imaging-us', // Ultrasound Image
  '1.2.840.10008.5.1.4.1.1.6.2': 'imaging-us', // Enhanced US Volume
  '1.2.840.10008.5.1.4.1.1.9.1.1': 'other-medical', // 12-lead ECG Waveform
  '1.2.840.10008.5.1.4.1.1.9.1.2': 'other-medical', // General ECG Waveform
  '1.2.840.10008.5.1.4.1.1.9.1.3': 'other-medical', // Ambulatory ECG Waveform
  '1.2.840.10008.5.1.4.1.1.9.2.1': 'other-medical', // Hemodynamic Waveform
  '1.2.840.10008.5.1.4.1.1.9.3.1': 'other-medical', // Cardiac Electrophysiology Waveform
  '1.2.840.10008.5.1.4.1.1.12.1': 'imaging-xr', // X-Ray Angiographic Image
  '1.2.840.10008.5.1.4.1.1.12.1.1': 'imaging-xr', // Enhanced XA Image
  '1.2.840.10008.5.1.4.1.1.12.2': 'imaging-xr', // X-Ray Radiofluoroscopic Image
  '1.2.840.10008.5.1.4.1.1.12.2.1': 'imaging-xr', // Enhanced XRF Image
  '1.2.840.10008.5.1.4.1.1.13.1.1': 'imaging-xr', // X-Ray 3D Angiographic Image
  '1.2.840.10008.5.1.4.1.1.13.1.2': 'imaging-xr', // X-Ray 3D Craniofacial Image
  '1.2.840.10008.5.1.4.1.1.13.1.3': 'imaging-xr', // Breast Tomosynthesis Image
  '1.2.840.10008.5.1.4.1.1.20': 'imaging-nm', // Nuclear Medicine Image
  '1.2.840.10008.5.1.4.1.1.77.1.1': 'other-medical', // VL Endoscopic Image
  '1.2.840.10008.5.1.4.1.1.77.1.1.1': 'other-medical', // Video Endoscopic Image
  '1.2.840.10008.5.1.4.1.1.77.1.5.1': 'other-medical', // Ophthalmic Photography 8 Bit Image
  '1.2.840.10008.5.1.4.1.1.77.1.5.2': 'other-medical', // Ophthalmic Photography 16 Bit Image
  '1.2.840.10008.5.1.4.1.1.77.1.5.4': 'other-medical', // Ophthalmic Tomography Image
  '1.2.840.10008.5.1.4.1.1.128': 'imaging-nm', // Positron Emission Tomography Image
  '1.2.840.10008.5.1.4.1.1.128.1': 'imaging-nm', // Legacy Converted Enhanced PET Image
  '1.2.840.10008.5.1.4.1.1.130': 'imaging-nm', // Enhanced PET Image
};

/**
 * Modality (0008,0060) defined terms → device class of the device that acquired the data set.
 * @see DICOM PS3.3 C.7.3.1.1.1 Modality
 */
export const DICOM_MODALITY_CLASSES: Readonly<Record<string, DeviceClass>> = {
  CT: 'imaging-ct',
  MR: 'imaging-mr',
  US: 'imaging-us',
  IVUS: 'imaging-us',
  CR: 'imaging-xr',
  DX: 'imaging-xr',
  MG: 'imaging-xr',
  IO: 'imaging-xr',
  PX: 'imaging-xr',
  XA: 'imaging-xr',
  RF: 'imaging-xr',
  NM: 'imaging-nm',
  PT: 'imaging-nm',
  ECG: 'other-medical',
  HD: 'other-medical',
  EPS: 'other-medical',
  ES: 'other-medical',
  OP: 'other-medical',
  OPT: 'other-medical',
  XC: 'other-medical',
};

/**
 * Storage SOP classes that name one kind of acquisition equipment → the Modality (0008,0060) code of
 * the objects they store (CT Image Storage → `CT`). Classes any workstation makes (Secondary Capture,
 * SR, presentation states) are left out. Names are in {@link DICOM_SOP_CLASS_NAMES}.
 * @see DICOM PS3.4 Annex B.5 (Storage SOP classes), PS3.3 C.7.3.1.1.1 (Modality)
 */
export const DICOM_STORAGE_MODALITIES: Readonly<Record<string, string>> = {
  '1.2.840.10008.5.1.4.1.1.2': 'CT',
  '1.2.840.10008.5.1.4.1.1.2.1': 'CT',
  '1.2.840.10008.5.1.4.1.1.2.2': 'CT',
  '1.2.840.10008.5.1.4.1.1.4': 'MR',
  '1.2.840.10008.5.1.4.1.1.4.1': 'MR',
  '1.2.840.10008.5.1.4.1.1.4.2': 'MR',
  '1.2.840.10008.5.1.4.1.1.4.3': 'MR',
  '1.2.840.10008.5.1.4.1.1.6.1': 'US',
  '1.2.840.10008.5.1.4.1.1.3.1': 'US',
  '1.2.840.10008.5.1.4.1.1.6.2': 'US',
  '1.2.840.10008.5.1.4.1.1.1': 'CR',
  '1.2.840.10008.5.1.4.1.1.1.1': 'DX',
  '1.2.840.10008.5.1.4.1.1.1.1.1': 'DX',
  '1.2.840.10008.5.1.4.1.1.1.2': 'MG',
  '1.2.840.10008.5.1.4.1.1.1.2.1': 'MG',
  '1.2.840.10008.5.1.4.1.1.1.3': 'IO',
  '1.2.840.10008.5.1.4.1.1.12.1': 'XA',
  '1.2.840.10008.5.1.4.1.1.12.1.1': 'XA',
  '1.2.840.10008.5.1.4.1.1.12.2': 'RF',
  '1.2.840.10008.5.1.4.1.1.12.2.1': 'RF',
  '1.2.840.10008.5.1.4.1.1.13.1.3': 'MG',
  '1.2.840.10008.5.1.4.1.1.20': 'NM',
  '1.2.840.10008.5.1.4.1.1.128': 'PT',
  '1.2.840.10008.5.1.4.1.1.130': 'PT',
  '1.2.840.10008.5.1.4.1.1.9.1.1': 'ECG',
  '1.2.840.10008.5.1.4.1.1.9.1.2': 'ECG',
  '1.2.840.10008.5.1.4.1.1.9.1.3': 'ECG',
  '1.2.840.10008.5.1.4.1.1.9.2.1': 'HD',
  '1.2.840.10008.5.1.4.1.1.9.3.1': 'EPS',
  '1.2.840.10008.5.1.4.1.1.481.1': 'RTIMAGE',
  '1.2.840.10008.5.1.4.1.1.481.5': 'RTPLAN',
  '1.2.840.10008.5.1.4.1.1.77.1.5.1': 'OP',
  '1.2.840.10008.5.1.4.1.1.77.1.5.4': 'OPT',
};

/** Name of a SOP class, meta SOP class, application context or transfer syntax UID. */
export function dicomUidName(uid: string): string | undefined {
  return DICOM_SOP_CLASS_NAMES[uid] ?? DICOM_TRANSFER_SYNTAX_NAMES[uid];
}

/** Data set encoding under a transfer syntax; `undefined` for a UID that is not a known transfer syntax. */
export function transferSyntaxEncoding(uid: string): DicomEncoding | undefined {
  const special = DICOM_TRANSFER_SYNTAX_ENCODINGS[uid];
  if (special !== undefined) return special;
  return DICOM_TRANSFER_SYNTAX_NAMES[uid] !== undefined ? 'explicit-le' : undefined;
}

/** The toolkit behind an implementation class UID (longest matching root), if known. */
export function implementationStack(implementationClassUid: string): string | undefined {
  let best: { root: string; stack: string } | undefined;
  for (const entry of DICOM_IMPLEMENTATION_ROOTS) {
    const uid = implementationClassUid;
    const matches = uid === entry.root || (uid.startsWith(entry.root) && uid[entry.root.length] === '.');
    if (matches && (best === undefined || entry.root.length > best.root.length)) best = entry;
  }
  return best?.stack;
}

/** The service a SOP class belongs to. */
export function dicomService(sopClassUid: string): DicomService {
  const exact = DICOM_SERVICE_BY_UID[sopClassUid];
  if (exact !== undefined) return exact;
  for (const { prefix, service } of DICOM_SERVICE_PREFIXES)
    if (sopClassUid.startsWith(prefix)) return service;
  return 'other';
}

/**
 * What acting as `as` for `sopClassUid` suggests about an AE, or `undefined` when it says nothing.
 * @example impliedDicomRole('1.2.840.10008.5.1.4.1.1.2', 'scu') // { role: 'modality', deviceClass: 'imaging-ct', … }
 */
export function impliedDicomRole(sopClassUid: string, as: 'scu' | 'scp'): DicomRoleImplication | undefined {
  const service = dicomService(sopClassUid);
  if (service === 'storage' && as === 'scu') {
    const deviceClass = DICOM_STORAGE_PRODUCERS[sopClassUid];
    return deviceClass === undefined ? undefined : { role: 'modality', deviceClass, confidence: 'medium' };
  }
  const implication = DICOM_SERVICE_ROLES[service][as];
  return implication === undefined ? undefined : { ...implication };
}
