import { EN } from './texts';
import type { TextKey, Texts } from './texts';

export type Locale = 'en' | 'de' | 'fr' | 'es' | 'it' | 'ar';

// Each table is one text a line, in the order of the keys of EN (texts.ts),
// after an empty first line: a page gets no keys, quotes or commas to
// download. A unit test checks the count and the placeholders of every
// entry.
const DE = `
Annehmen
Ablehnen
{name} lädt Sie zu einem Videoanruf ein
{name} lädt Sie zu einem Sprachanruf ein
Kundenservice
Läuft ab in {seconds} s
Erlauben Sie Kamera und Mikrofon, wenn Ihr Browser fragt.
Erlauben Sie das Mikrofon, wenn Ihr Browser fragt.
Klicken Sie auf das Symbol links neben der Adresse, um die Berechtigungen zu ändern.
Öffnen Sie Safari > Einstellungen für diese Website.
Tippen Sie auf das Symbol links neben der Adresse, dann auf Berechtigungen.
Tippen Sie in der Adressleiste auf aA, dann auf Website-Einstellungen.
Verbindung wird aufgebaut…
Anruf mit {name}
Verbindung wird wiederhergestellt…
{name} ist stummgeschaltet
{name} hat die Kamera ausgeschaltet
Gute Verbindung
Mittlere Verbindung
Schwache Verbindung
Stummschalten
Video aus
Kamera wechseln
Auflegen
Ton einschalten
Geräte
Mikrofon
Kamera
Lautsprecher
Minimieren
Anruf öffnen
Verschieben (Pfeiltasten)
Schließen
Der Anruf ist beendet.
Sie haben den Anruf abgelehnt.
Der Anruf wurde abgebrochen.
Die Einladung ist abgelaufen.
Kamera oder Mikrofon wurde blockiert.
Es konnte keine Kamera und kein Mikrofon verwendet werden.
Die Verbindung wurde unterbrochen.
Der Anruf konnte nicht verbunden werden.
Anrufe brauchen die neueste Version von Chrome, Edge, Firefox oder Safari.
Dieser Anruf ist hier nicht verfügbar.
Etwas ist schiefgegangen.
Der Anruf wurde in einem anderen Fenster angenommen.
Bitten Sie um einen neuen Anruf.
Einladung zum Videoanruf gesendet
Einladung zum Sprachanruf gesendet
Videoanruf begonnen
Sprachanruf begonnen
Anruf abgelehnt
Verpasster Anruf
Videoanruf nach {duration} beendet
Sprachanruf nach {duration} beendet
{name} möchte Ihren Bildschirm sehen
Bildschirm teilen
Jetzt nicht
Sie teilen Ihren Bildschirm
Teilen beenden`;

const FR = `
Accepter
Refuser
{name} vous invite à un appel vidéo
{name} vous invite à un appel vocal
Service client
Expire dans {seconds} s
Autorisez la caméra et le micro quand votre navigateur le demande.
Autorisez le micro quand votre navigateur le demande.
Cliquez sur l'icône à gauche de l'adresse pour modifier les autorisations.
Ouvrez Safari > Réglages pour ce site web.
Touchez l'icône à gauche de l'adresse, puis Autorisations.
Touchez aA dans la barre d'adresse, puis Réglages du site web.
Connexion…
Appel avec {name}
Reconnexion…
{name} a coupé son micro
{name} a coupé sa caméra
Bonne connexion
Connexion moyenne
Connexion faible
Couper le micro
Arrêter la vidéo
Changer de caméra
Raccrocher
Activer le son
Appareils
Micro
Caméra
Haut-parleur
Réduire
Ouvrir l'appel
Déplacer (touches fléchées)
Fermer
L'appel est terminé.
Vous avez refusé l'appel.
L'appel a été annulé.
L'invitation a expiré.
La caméra ou le micro a été bloqué.
Aucune caméra ni aucun micro n'a pu être utilisé.
La connexion a été perdue.
L'appel n'a pas pu être établi.
Les appels nécessitent la dernière version de Chrome, Edge, Firefox ou Safari.
Cet appel n'est pas disponible ici.
Une erreur s'est produite.
L'appel a été pris dans une autre fenêtre.
Demandez un nouvel appel.
Invitation à un appel vidéo envoyée
Invitation à un appel vocal envoyée
Appel vidéo commencé
Appel vocal commencé
Appel refusé
Appel manqué
Appel vidéo terminé après {duration}
Appel vocal terminé après {duration}
{name} demande à voir votre écran
Partager l’écran
Pas maintenant
Vous partagez votre écran
Arrêter le partage`;

const ES = `
Aceptar
Rechazar
{name} le invita a una videollamada
{name} le invita a una llamada de voz
Atención al cliente
Caduca en {seconds} s
Permita la cámara y el micrófono cuando su navegador lo pida.
Permita el micrófono cuando su navegador lo pida.
Haga clic en el icono a la izquierda de la dirección para cambiar los permisos.
Abra Safari > Ajustes de este sitio web.
Toque el icono a la izquierda de la dirección y luego Permisos.
Toque aA en la barra de direcciones y luego Ajustes del sitio web.
Conectando…
Llamada con {name}
Reconectando…
{name} tiene el micrófono silenciado
{name} apagó la cámara
Buena conexión
Conexión regular
Conexión débil
Silenciar
Detener video
Cambiar cámara
Colgar
Activar sonido
Dispositivos
Micrófono
Cámara
Altavoz
Minimizar
Abrir llamada
Mover (teclas de flecha)
Cerrar
La llamada ha terminado.
Ha rechazado la llamada.
La llamada se canceló.
La invitación ha caducado.
Se bloqueó la cámara o el micrófono.
No se pudo usar ninguna cámara ni micrófono.
Se perdió la conexión.
No se pudo conectar la llamada.
Las llamadas requieren la última versión de Chrome, Edge, Firefox o Safari.
Esta llamada no está disponible aquí.
Algo salió mal.
La llamada se respondió en otra ventana.
Pida una nueva llamada.
Invitación a videollamada enviada
Invitación a llamada de voz enviada
Videollamada iniciada
Llamada de voz iniciada
Llamada rechazada
Llamada perdida
Videollamada finalizada tras {duration}
Llamada de voz finalizada tras {duration}
{name} pide ver su pantalla
Compartir pantalla
Ahora no
Está compartiendo su pantalla
Dejar de compartir`;

const IT = `
Accetta
Rifiuta
{name} ti invita a una videochiamata
{name} ti invita a una chiamata vocale
Assistenza clienti
Scade tra {seconds} s
Consenti fotocamera e microfono quando il browser lo chiede.
Consenti il microfono quando il browser lo chiede.
Fai clic sull'icona a sinistra dell'indirizzo per modificare le autorizzazioni.
Apri Safari > Impostazioni per questo sito web.
Tocca l'icona a sinistra dell'indirizzo, poi Autorizzazioni.
Tocca aA nella barra degli indirizzi, poi Impostazioni sito web.
Connessione…
Chiamata con {name}
Riconnessione…
{name} ha disattivato il microfono
{name} ha spento la fotocamera
Connessione buona
Connessione discreta
Connessione debole
Disattiva audio
Disattiva video
Cambia fotocamera
Termina chiamata
Attiva audio
Dispositivi
Microfono
Fotocamera
Altoparlante
Riduci
Apri chiamata
Sposta (tasti freccia)
Chiudi
La chiamata è terminata.
Hai rifiutato la chiamata.
La chiamata è stata annullata.
L'invito è scaduto.
La fotocamera o il microfono è stato bloccato.
Non è stato possibile usare fotocamera o microfono.
La connessione si è interrotta.
Non è stato possibile collegare la chiamata.
Le chiamate richiedono l'ultima versione di Chrome, Edge, Firefox o Safari.
Questa chiamata non è disponibile qui.
Si è verificato un errore.
La chiamata ha avuto risposta in un'altra finestra.
Chiedi una nuova chiamata.
Invito a videochiamata inviato
Invito a chiamata vocale inviato
Videochiamata iniziata
Chiamata vocale iniziata
Chiamata rifiutata
Chiamata persa
Videochiamata terminata dopo {duration}
Chiamata vocale terminata dopo {duration}
{name} chiede di vedere il tuo schermo
Condividi schermo
Non ora
Stai condividendo lo schermo
Interrompi condivisione`;

const AR = `
قبول
رفض
يدعوك {name} إلى مكالمة فيديو
يدعوك {name} إلى مكالمة صوتية
خدمة العملاء
تنتهي خلال {seconds} ث
اسمح بالكاميرا والميكروفون عندما يطلب المتصفح ذلك.
اسمح بالميكروفون عندما يطلب المتصفح ذلك.
انقر على الرمز بجوار العنوان لتغيير الأذونات.
افتح Safari > إعدادات لهذا الموقع.
انقر على الرمز بجوار العنوان ثم الأذونات.
انقر على aA في شريط العناوين ثم إعدادات موقع الويب.
جارٍ الاتصال…
مكالمة مع {name}
جارٍ إعادة الاتصال…
كتم {name} الصوت
أوقف {name} الكاميرا
اتصال جيد
اتصال مقبول
اتصال ضعيف
كتم الصوت
إيقاف الفيديو
تبديل الكاميرا
إنهاء المكالمة
تشغيل الصوت
الأجهزة
الميكروفون
الكاميرا
مكبر الصوت
تصغير
فتح المكالمة
نقل (مفاتيح الأسهم)
إغلاق
انتهت المكالمة.
لقد رفضت المكالمة.
أُلغيت المكالمة.
انتهت صلاحية الدعوة.
تم حظر الكاميرا أو الميكروفون.
تعذر استخدام أي كاميرا أو ميكروفون.
انقطع الاتصال.
تعذر إتمام الاتصال.
تتطلب المكالمات أحدث إصدار من Chrome أو Edge أو Firefox أو Safari.
هذه المكالمة غير متاحة هنا.
حدث خطأ ما.
تم الرد على المكالمة في نافذة أخرى.
اطلب مكالمة جديدة.
تم إرسال دعوة لمكالمة فيديو
تم إرسال دعوة لمكالمة صوتية
بدأت مكالمة الفيديو
بدأت المكالمة الصوتية
تم رفض المكالمة
مكالمة فائتة
انتهت مكالمة الفيديو بعد {duration}
انتهت المكالمة الصوتية بعد {duration}
يطلب {name} رؤية شاشتك
مشاركة الشاشة
ليس الآن
أنت تشارك شاشتك
إيقاف المشاركة`;

const KEYS = Object.keys(EN) as TextKey[];

function table(lines: string): Texts {
  const list = lines.split('\n');
  const texts = {} as Texts;
  for (let i = 0; i < KEYS.length; i++) texts[KEYS[i] as TextKey] = list[i + 1] as string;
  return texts;
}

/** The translated tables, by language (English is EN). */
export const LOCALES: Readonly<Record<Exclude<Locale, 'en'>, Texts>> = {
  de: table(DE),
  fr: table(FR),
  es: table(ES),
  it: table(IT),
  ar: table(AR),
};

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * The first candidate whose primary language subtag ('de-AT' → 'de',
 * case-insensitive) has a table, else 'en'.
 */
export function pickLocale(candidates: readonly (string | undefined | null)[]): Locale {
  for (let i = 0; i < candidates.length; i++) {
    const lang = String(candidates[i] ?? '')
      .split(/[-_]/)[0]
      ?.toLowerCase();
    if (lang === 'en' || (lang && has(LOCALES, lang))) return lang as Locale;
  }
  return 'en';
}

/**
 * The table of `locale` (EN when unknown) with `overrides` applied; an
 * override counts only for a key of EN with a string value.
 */
export function textsFor(locale: string, overrides: Partial<Record<string, unknown>> = {}): Texts {
  const lang = pickLocale([locale]);
  const texts: Texts = { ...(lang === 'en' ? EN : LOCALES[lang]) };
  for (const key in overrides) {
    const value = overrides[key];
    if (has(EN, key) && typeof value === 'string') texts[key as TextKey] = value;
  }
  return texts;
}

/** Whether `locale` is written right to left. */
export function isRtl(locale: string): boolean {
  return pickLocale([locale]) === 'ar';
}
