/* interfaces: lists the machine's network interfaces with
 * uv_interface_addresses: name, address family, address, netmask, whether
 * it is internal (loopback) and the hardware address. */
#include <stdio.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <uv.h>

int main(void) {
  uv_interface_address_t* addrs;
  char address[INET6_ADDRSTRLEN];
  char netmask[INET6_ADDRSTRLEN];
  int count;
  int i;
  int r;

  r = uv_interface_addresses(&addrs, &count);
  if (r < 0) {
    fprintf(stderr, "uv_interface_addresses: %s\n", uv_strerror(r));
    return 1;
  }

  printf("%d address%s\n", count, count == 1 ? "" : "es");
  for (i = 0; i < count; i++) {
    const uv_interface_address_t* a = &addrs[i];
    const unsigned char* mac = (const unsigned char*) a->phys_addr;
    int v6 = a->address.address4.sin_family == AF_INET6;

    if (v6) {
      uv_ip6_name(&a->address.address6, address, sizeof(address));
      uv_ip6_name(&a->netmask.netmask6, netmask, sizeof(netmask));
    } else {
      uv_ip4_name(&a->address.address4, address, sizeof(address));
      uv_ip4_name(&a->netmask.netmask4, netmask, sizeof(netmask));
    }
    printf("%-10s %s %-26s netmask %-20s %s %02x:%02x:%02x:%02x:%02x:%02x\n",
           a->name, v6 ? "IPv6" : "IPv4", address, netmask,
           a->is_internal ? "internal" : "external", mac[0], mac[1], mac[2],
           mac[3], mac[4], mac[5]);
  }

  uv_free_interface_addresses(addrs, count);
  return 0;
}
