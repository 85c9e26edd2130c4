#pragma once
// The few Linux things Swift cannot import by itself: _IOW() ioctl codes, GNU-only
// recvmmsg/sendmmsg, acquire/release loads on TPACKET ring status words, and ifreq
// helpers (ifreq is a union-of-unions that is clumsy to fill from Swift).
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <sys/eventfd.h>

static const unsigned long VSW_TUNSETIFF = TUNSETIFF;
static const unsigned long VSW_TUNSETPERSIST = TUNSETPERSIST;
static const unsigned long VSW_TUNSETOFFLOAD = TUNSETOFFLOAD;
static const unsigned long VSW_TUNSETVNETHDRSZ = TUNSETVNETHDRSZ;

/// Layout twin of glibc's `struct mmsghdr` (hidden behind _GNU_SOURCE from Swift).
typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} vsw_mmsghdr;

int vsw_recvmmsg(int fd, vsw_mmsghdr *msgs, unsigned int vlen, int flags);
int vsw_sendmmsg(int fd, vsw_mmsghdr *msgs, unsigned int vlen, int flags);

/// Room for one PACKET_AUXDATA control message (CMSG_SPACE is a macro Swift cannot call).
static const size_t VSW_AUXDATA_SPACE = CMSG_SPACE(sizeof(struct tpacket_auxdata));

/// The VLAN tag the kernel took off a received frame, from its PACKET_AUXDATA control message:
/// TPID << 16 | TCI, or 0 when the frame arrived untagged.
uint32_t vsw_auxdata_vlan_tag(const struct msghdr *msg);

/// Acquire load / release store of a TPACKET_V3 block's status word. The word sits inside
/// unions that Swift imports as computed properties (copies), so it is reached from C.
static inline uint32_t vsw_block_status_acquire(void *block) {
    struct tpacket_block_desc *bd = (struct tpacket_block_desc *)block;
    return __atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
}
static inline void vsw_block_release(void *block) {
    struct tpacket_block_desc *bd = (struct tpacket_block_desc *)block;
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}
static inline uint32_t vsw_block_num_pkts(void *block) {
    return ((struct tpacket_block_desc *)block)->hdr.bh1.num_pkts;
}
static inline uint32_t vsw_block_first_offset(void *block) {
    return ((struct tpacket_block_desc *)block)->hdr.bh1.offset_to_first_pkt;
}

/// Acquire load / release store of a TPACKET_V2 frame's tp_status (the kernel writes the frame, then
/// the status; we must see the frame's bytes after we see the status).
static inline uint32_t vsw_load_acquire_u32(const void *p) { return __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE); }
static inline void vsw_store_release_u32(void *p, uint32_t v) { __atomic_store_n((uint32_t *)p, v, __ATOMIC_RELEASE); }

/// Opens /dev/net/tun and attaches (creating if needed) the TAP named `name` with
/// IFF_TAP|IFF_NO_PI|IFF_VNET_HDR. Returns the fd or -errno.
int vsw_tap_open(const char *name, int vnet_hdr);
/// Interface helpers over a throwaway AF_INET socket; return 0 or -errno.
int vsw_if_get_mtu(const char *name, int *mtu);
int vsw_if_get_flags(const char *name, int *flags);
int vsw_if_set_up(const char *name);
int vsw_if_get_hwaddr(const char *name, uint8_t mac[6]);

/* CPU affinity of one thread (tid 0: the caller): only `cpu`, or (exclude != 0) every online CPU but
   `cpu`. CPU_SET and friends are macros Swift cannot import. Returns 0 or -errno. */
int vsw_set_thread_affinity(pid_t tid, int cpu, int exclude);

/* The calling thread's name as the kernel shows it (comm, 15 characters); pthread_setname_np is a GNU
   extension Swift does not see. Returns 0 or -errno. */
int vsw_set_thread_name(const char *name);
