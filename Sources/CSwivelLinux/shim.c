#define _GNU_SOURCE
#include "CSwivelLinux.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <pthread.h>
#include <net/if.h>
#include <netinet/in.h>

_Static_assert(sizeof(vsw_mmsghdr) == sizeof(struct mmsghdr), "vsw_mmsghdr must match struct mmsghdr");

int vsw_recvmmsg(int fd, vsw_mmsghdr *msgs, unsigned int vlen, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)msgs, vlen, flags, NULL);
}

int vsw_sendmmsg(int fd, vsw_mmsghdr *msgs, unsigned int vlen, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)msgs, vlen, flags);
}

int vsw_tap_open(const char *name, int vnet_hdr) {
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) { int e = errno; close(fd); return -e; }
    return fd;
}

static int with_ifreq(const char *name, unsigned long req, struct ifreq *ifr) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -errno;
    strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
    int rc = ioctl(s, req, ifr);
    int e = errno;
    close(s);
    return rc < 0 ? -e : 0;
}

int vsw_if_get_mtu(const char *name, int *mtu) {
    struct ifreq ifr; memset(&ifr, 0, sizeof ifr);
    int rc = with_ifreq(name, SIOCGIFMTU, &ifr);
    if (rc == 0) *mtu = ifr.ifr_mtu;
    return rc;
}

int vsw_if_get_flags(const char *name, int *flags) {
    struct ifreq ifr; memset(&ifr, 0, sizeof ifr);
    int rc = with_ifreq(name, SIOCGIFFLAGS, &ifr);
    if (rc == 0) *flags = ifr.ifr_flags;
    return rc;
}

int vsw_if_set_up(const char *name) {
    struct ifreq ifr; memset(&ifr, 0, sizeof ifr);
    int rc = with_ifreq(name, SIOCGIFFLAGS, &ifr);
    if (rc != 0) return rc;
    if (ifr.ifr_flags & IFF_UP) return 0;
    ifr.ifr_flags |= IFF_UP;
    return with_ifreq(name, SIOCSIFFLAGS, &ifr);
}

int vsw_if_get_hwaddr(const char *name, uint8_t mac[6]) {
    struct ifreq ifr; memset(&ifr, 0, sizeof ifr);
    int rc = with_ifreq(name, SIOCGIFHWADDR, &ifr);
    if (rc == 0) memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return rc;
}

uint32_t vsw_auxdata_vlan_tag(const struct msghdr *msg) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
        if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
        if (c->cmsg_len < CMSG_LEN(sizeof(struct tpacket_auxdata))) continue;
        struct tpacket_auxdata aux;
        memcpy(&aux, CMSG_DATA(c), sizeof aux);
        if (!(aux.tp_status & TP_STATUS_VLAN_VALID)) return 0;
        uint16_t tpid = (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) ? aux.tp_vlan_tpid : ETH_P_8021Q;
        return ((uint32_t)tpid << 16) | aux.tp_vlan_tci;
    }
    return 0;
}

int vsw_set_thread_affinity(pid_t tid, int cpu, int exclude) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpu < 0 || cpu >= CPU_SETSIZE || cpu >= cpus) return -EINVAL;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (exclude) {
        for (long i = 0; i < cpus && i < CPU_SETSIZE; i++) if (i != cpu) CPU_SET(i, &set);
        if (CPU_COUNT(&set) == 0) return 0;   /* one CPU: nowhere else to go */
    } else {
        CPU_SET(cpu, &set);
    }
    return sched_setaffinity(tid, sizeof set, &set) == 0 ? 0 : -errno;
}

int vsw_set_thread_name(const char *name) {
    int rc = pthread_setname_np(pthread_self(), name);
    return rc == 0 ? 0 : -rc;
}
