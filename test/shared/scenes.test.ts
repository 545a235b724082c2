import fc from 'fast-check';
import reference from '../../shared/scene-values.json';
import { BUCKETS, CATEGORIES, classifyScene, SCENES, sceneInfo, UNKNOWN_BUCKET, UNKNOWN_CATEGORY } from '../../shared/scenes';

describe('the scene catalog', () => {
  it('holds every documented scene exactly once', () => {
    expect(SCENES).toHaveLength(209);
    expect(new Set(SCENES.map((s) => s.scene)).size).toBe(209);
    expect(SCENES.map((s) => s.scene)).toEqual([...reference.map((r) => r.scene)].sort((a, b) => a - b));
  });

  it('names every scene in Chinese and English and files it under a known category and bucket', () => {
    for (const info of SCENES) {
      expect(info.nameZh.length).toBeGreaterThan(0);
      expect(info.nameEn.length).toBeGreaterThan(0);
      expect(CATEGORIES).toContain(info.category);
      expect(BUCKETS).toContain(info.bucket);
    }
  });

  it('counts per bucket and status match the research table', () => {
    const count = (pick: (s: (typeof SCENES)[number]) => string): Record<string, number> =>
      SCENES.reduce<Record<string, number>>((acc, s) => ({ ...acc, [pick(s)]: (acc[pick(s)] ?? 0) + 1 }), {});
    expect(count((s) => s.bucket)).toEqual({ 'offline-qr': 14, 'in-wechat': 176, external: 19 });
    expect(count((s) => s.status)).toEqual({ current: 205, deprecated: 4 });
    expect(count((s) => s.category)).toMatchObject({ Share: 18, 'Quick entry': 39, 'Templated messages': 3, 'QR code': 14 });
  });

  it("closes every bracket and quote it opens, in both names (1089's Chinese name is closed where WeChat's page leaves it open)", () => {
    const pairs: Record<string, string> = { '（': '）', '(': ')', '「': '」', '“': '”', '【': '】', '《': '》', '[': ']' };
    const closers = new Set(Object.values(pairs));
    const unbalanced = (name: string): boolean => {
      const open: string[] = [];
      for (const char of name) {
        if (pairs[char]) open.push(pairs[char]);
        else if (closers.has(char) && open.pop() !== char) return true;
      }
      return open.length > 0;
    };
    const faults = SCENES.flatMap((info) => [info.nameZh, info.nameEn].filter(unbalanced).map((name) => `${info.scene} ${name}`));
    expect(faults).toEqual([]);
    expect(unbalanced('栏（基础库')).toBe(true);
    expect(sceneInfo(1089)?.nameZh.endsWith('「最近使用」栏）')).toBe(true);
  });

  it('knows the entry points operators talk about', () => {
    expect(sceneInfo(1007)).toMatchObject({ category: 'Share', bucket: 'in-wechat', nameEn: 'Mini Program message card in a one-to-one chat', accessSource: 3 });
    expect(classifyScene(1047)).toEqual({ scene: 1047, category: 'QR code', bucket: 'offline-qr', known: true });
    expect(classifyScene(1089)).toMatchObject({ category: 'Quick entry', bucket: 'in-wechat' });
    expect(classifyScene(1107)).toMatchObject({ category: 'Templated messages' });
    expect(sceneInfo(1020)).toMatchObject({ status: 'deprecated' });
    expect(sceneInfo(1020)?.statusNote).toBeDefined();
  });

  it('keeps an id no list prints, as Unknown inside WeChat', () => {
    expect(sceneInfo(4242)).toBeUndefined();
    expect(classifyScene(4242)).toEqual({ scene: 4242, category: UNKNOWN_CATEGORY, bucket: UNKNOWN_BUCKET, known: false });
    expect(classifyScene(0)).toMatchObject({ category: 'Unknown', bucket: 'in-wechat' });
  });

  it('classifies any integer without throwing', () => {
    fc.assert(
      fc.property(fc.integer(), (scene) => {
        const found = classifyScene(scene);
        expect(found.scene).toBe(scene);
        expect(found.known).toBe(sceneInfo(scene) !== undefined);
      }),
    );
  });
});
