// SPDX-License-Identifier: GPL-2.0-only
/* Copyright(c) 1999 - 2024 Intel Corporation. */

#include "ixgbevf.h"

#define DRV_VERSION "4.18.9"
char ixgbevf_driver_name[] = "ixgbevf";
const char ixgbevf_driver_version[] = DRV_VERSION;

MODULE_AUTHOR("Intel Corporation, <linux.nics@intel.com>");
MODULE_DESCRIPTION("Intel(R) 10GbE PCI Express Virtual Function Linux Network Driver");
MODULE_LICENSE("GPL");
MODULE_VERSION(DRV_VERSION);
