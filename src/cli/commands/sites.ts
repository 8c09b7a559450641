/**
 * @module `vigil sites list|add|show` and `vigil sites segment add`: sites and their network segments.
 */
import type { Command } from 'commander';
import type { Actor } from '../../accounts/actor.js';
import type { AppContext } from '../../context.js';
import { addSegment, createSite, getSite, listSites, type SiteDetail } from '../../inventory/site-service.js';
import { formatLines, formatTable, printable, printJson } from '../io.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function printSite(s: SiteDetail): void {
  process.stdout.write(
    formatLines([
      `id           ${s.id}`,
      `name         ${s.name}`,
      `description  ${s.description ?? '-'}`,
      `devices      ${s.deviceCount}`,
      `created      ${s.createdAt}`,
    ]),
  );
  if (s.segments.length) {
    process.stdout.write('\nSegments\n');
    process.stdout.write(
      formatTable(
        ['NAME', 'CIDRS', 'VLAN', 'ZONE', 'ID'],
        s.segments.map((g) => [g.name, g.cidrs.join(' '), g.vlan, g.zone, g.id]),
      ),
    );
  }
}

export function registerSiteCommands(
  program: Command,
  getContext: () => Promise<AppContext>,
  cliActor: () => Actor,
): void {
  const sites = program.command('sites').description('Sites (hospitals, clinics) and their network segments');

  sites
    .command('list')
    .description('List sites with their device and segment counts')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { vdb } = await getContext();
      const list = await listSites(vdb, cliActor());
      if (o.json) return printJson(list);
      process.stdout.write(
        formatTable(
          ['NAME', 'DEVICES', 'SEGMENTS', 'DESCRIPTION', 'ID'],
          list.map((s) => [s.name, s.deviceCount, s.segmentCount, s.description, s.id]),
        ),
      );
    });

  sites
    .command('add <name>')
    .description('Add a site')
    .option('--description <text>', 'description')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { description?: string; json?: boolean }) => {
      const { vdb } = await getContext();
      const site = await createSite(vdb, cliActor(), {
        name,
        ...(o.description !== undefined ? { description: o.description } : {}),
      });
      if (o.json) return printJson(site);
      process.stdout.write(printable`Added site "${site.name}" (${site.id}).\n`);
    });

  sites
    .command('show <site>')
    .description('Show a site (by name or id) with its segments')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { json?: boolean }) => {
      const { vdb } = await getContext();
      const site = await getSite(vdb, cliActor(), ref);
      if (o.json) return printJson(site);
      printSite(site);
    });

  const segment = sites.command('segment').description('Network segments of a site');
  segment
    .command('add <site>')
    .description('Add a network segment to a site')
    .requiredOption('--name <name>', 'segment name, unique within the site')
    .requiredOption('--cidr <cidr>', 'address block, e.g. 10.20.31.0/24 (repeatable)', collect)
    .option('--vlan <id>', 'VLAN id (1–4094)')
    .option('--zone <zone>', 'security zone, e.g. clinical, imaging, guest')
    .option('--json', 'print JSON')
    .action(
      async (
        siteRef: string,
        o: { name: string; cidr: string[]; vlan?: string; zone?: string; json?: boolean },
      ) => {
        const { vdb } = await getContext();
        const seg = await addSegment(vdb, cliActor(), siteRef, {
          name: o.name,
          cidrs: o.cidr,
          ...(o.vlan !== undefined ? { vlan: o.vlan } : {}),
          ...(o.zone !== undefined ? { zone: o.zone } : {}),
        });
        if (o.json) return printJson(seg);
        process.stdout.write(
          printable`Added segment "${seg.name}" (${seg.cidrs.join(', ')}) to ${siteRef}.\n`,
        );
      },
    );
}
