/* SPDX-License-Identifier: GPL-2.0-only */
/* Compatibility layer for older kernels (Intel's kcompat.h). */
